# ruff: noqa: RUF001, E501 -- a data file: Russian text on purpose, one request per line
"""Writes ``dev.jsonl``: the development set, requests in people's own words for tuning.

The held-out set (``paraphrase.py``) must never tune anything, yet the choices that matter for
vendor-less requests (embedder, document text, fusion, the "no tool fits" thresholds) cannot
be made on the tuning set (``generate.py``), whose requests name the vendor. This set fills the
gap: written by hand in the held-out set's style (intent phrasing, no tool, vendor or product
names, synonyms, indirect requests, English and Russian, unrelated requests that sound like
tasks) but separately from it, and it is the one the bench's ``--calibrate`` and every
retrieval design choice look at. The bench refuses a dev request that repeats a held-out one
(``bench.retrieval.check_separation``).

Format and labels as in ``paraphrase.py``: intents ``domain.operation`` (every vendor's tool of
it) or a Russian-described tool's own name. Run ``python -m bench.data.dev`` to rewrite the file.
"""

from __future__ import annotations

from bench.data.paraphrase import write

# (intents separated by spaces, request)
ENGLISH: list[tuple[str, str]] = [
    (
        "issues.create_issue yandex_tracker_create_issue",
        "customers keep telling support that password reset emails never arrive; make sure engineering has this on their list",
    ),
    (
        "issues.create_issue yandex_tracker_create_issue",
        "during today's demo the app froze when Marco zoomed the map; record that as a defect",
    ),
    (
        "issues.close_issue",
        "Ravi confirmed the duplicate charge defect no longer happens, so that item can be marked done",
    ),
    (
        "issues.comment_issue",
        "regarding the defect with broken uploads: Firefox users see it as well, note that there",
    ),
    (
        "issues.assign_issue",
        "Omar has time this sprint, make the memory leak defect his responsibility",
    ),
    (
        "issues.search_issues",
        "before I report it, check whether someone already logged a problem with coupon codes",
    ),
    (
        "chat.send_message telegram_bot_notify",
        "the operations crew should hear from me that servers go down for maintenance at 22:00",
    ),
    (
        "chat.send_message telegram_bot_notify",
        "let my design colleagues know, over our usual messenger, that the new mockups are waiting for them",
    ),
    (
        "chat.create_channel",
        "the Lisbon relocation needs its own discussion space for everyone involved",
    ),
    (
        "chat.invite_user",
        "Lena joined support last week and still can't see their group conversation; let her in",
    ),
    (
        "chat.upload_file",
        "the frontend folks should see this error screenshot, attach it in their room",
    ),
    (
        "chat.set_status",
        "I'll be unreachable in workshops until five, make that visible to my coworkers",
    ),
    (
        "email.send_email",
        "my accountant still needs my W-2 forms; ask her by mail which ones exactly",
    ),
    ("email.send_email", "every speaker must learn that the venue moved to Hall C; mail them"),
    ("email.search_inbox", "did anything come from the insurer regarding claim 8812?"),
    (
        "email.search_inbox",
        "somewhere in my mail there's an airline receipt from October, dig it out",
    ),
    (
        "email.create_draft",
        "prepare an answer for the recruiter; I'll review and send it myself later",
    ),
    ("email.add_label", "messages from the school office should all end up under Kids"),
    ("email.forward_email", "the plumber's estimate arrived this morning; pass it along to Sam"),
    ("calendar.create_event", "reserve Saturday 12:00 on my schedule for the barber"),
    ("calendar.list_events", "how packed is my week, meeting-wise?"),
    (
        "calendar.cancel_event",
        "tomorrow's standup isn't happening; remove it and inform the attendees",
    ),
    (
        "calendar.find_free_slot",
        "Ann, Raj and I need thirty minutes together on Thursday; what times work for all three?",
    ),
    (
        "calendar.reschedule_event",
        "the budget review can't be on Monday, move it to Wednesday morning",
    ),
    (
        "storage.upload_file yandex_disk_upload",
        "keep a copy of this slide deck online, in the Sales directory",
    ),
    ("storage.download_file", "I need the signed lease PDF from my online files on this laptop"),
    (
        "storage.share_link",
        "the client should be able to browse the product photography without an account",
    ),
    ("storage.list_folder", "show the contents of the Invoices 2024 directory"),
    ("storage.delete_file", "the 2019 backup archives are obsolete; wipe them from online storage"),
    (
        "payments.create_invoice onec_create_invoice",
        "Acme owes us for 40 consulting hours in March; request payment from them",
    ),
    (
        "payments.refund_payment",
        "a shopper paid for order 77 twice by card; reverse one of those payments",
    ),
    ("payments.list_transactions", "which card charges went through for us on Tuesday?"),
    (
        "payments.cancel_subscription",
        "Mrs. Lopez no longer wants to be billed every month for the premium plan",
    ),
    ("payments.get_balance", "what funds are available for payout from our merchant account?"),
    (
        "crm.create_lead amocrm_add_contact",
        "at the trade fair I talked to Ingrid from Nordic Foods who may buy from us; record her as a prospect",
    ),
    ("crm.update_deal_stage", "the clinic opportunity progressed: they're negotiating terms now"),
    (
        "crm.log_call",
        "I had a 20 minute phone conversation with Brightline's CFO; put that on their record",
    ),
    ("crm.find_contact", "who is our contact person at Vega Logistics and how do I reach him?"),
    ("crm.list_opportunities", "what open sales opportunities are forecast to close before July?"),
    ("databases.run_query", "count yesterday's new signups straight from the production data"),
    ("databases.list_tables", "I'm new to the reporting db; which collections exist there?"),
    (
        "databases.describe_table",
        "before writing the report I must know the structure of the invoices table",
    ),
    (
        "databases.backup_database",
        "we're upgrading the schema tonight, so save a restorable copy of the db first",
    ),
    (
        "databases.kill_query",
        "an analyst's giant join is eating the database and nothing else gets through; end that session",
    ),
    (
        "infra.list_instances",
        "give me an overview of the workloads running in production and their health",
    ),
    ("infra.restart", "checkout is hanging again; start that service fresh"),
    (
        "infra.scale",
        "Black Friday traffic is coming, have eight replicas of the storefront running",
    ),
    ("infra.get_logs", "the worker crashed around noon; what did it output before that?"),
    ("infra.deploy_image", "ship release 2.3 of the api to production"),
    ("monitoring.query_metric", "chart the request latency of the api for the last 24 hours"),
    (
        "monitoring.create_alert",
        "page the on-call person if free disk space drops below ten percent",
    ),
    (
        "monitoring.acknowledge_incident",
        "the on-call page about the outage is mine, let the system know I've got it",
    ),
    (
        "monitoring.silence_alert",
        "nobody should get paged while we upgrade tonight between 1 and 3",
    ),
    ("monitoring.list_errors", "which crashes have users hit since Tuesday's deploy?"),
    (
        "weather.current_weather",
        "I'm about to cycle home in Oslo, how strong is the wind right now?",
    ),
    (
        "weather.forecast yandex_weather",
        "planning a Lisbon weekend: rain or sunshine from Friday to Sunday?",
    ),
    ("weather.air_quality", "smog has been bad in Delhi lately, how polluted is it today?"),
    ("weather.uv_index", "we're heading to the beach in Nice at midday, how harsh is the sun?"),
    ("weather.severe_alerts", "is a hurricane or tornado warning in effect anywhere in Florida?"),
    ("maps.geocode", "I need latitude and longitude for 1600 Amphitheatre Parkway"),
    ("maps.reverse_geocode", "my phone shows 40.6892, -74.0445; what address is that?"),
    (
        "maps.directions yandex_maps_route",
        "on foot, what's the way from Central Station to the Rijksmuseum?",
    ),
    (
        "maps.nearby_places",
        "I'm at the Hilton downtown and need a drugstore within walking distance",
    ),
    (
        "maps.travel_time yandex_maps_route",
        "if I leave for JFK now by car, when will I get there?",
    ),
    (
        "travel.search_flights",
        "what are my options to get from Madrid to Rome by plane on June 12?",
    ),
    ("travel.search_stays", "two adults need a place in Prague from the 3rd to the 5th"),
    ("travel.create_booking", "the 9am option looks good, lock in that seat for me"),
    (
        "travel.cancel_booking",
        "plans changed, so the hotel under confirmation ABC123 has to go",
    ),
    ("travel.booking_status", "did the Friday hotel stay actually get confirmed?"),
    ("markets.quote", "where is AAPL right now?"),
    ("markets.historical_prices", "I want Tesla's daily closing prices for all of 2023"),
    (
        "markets.company_financials",
        "pull Microsoft's income statement and margins for the last fiscal year",
    ),
    (
        "markets.fx_rate cbr_exchange_rate",
        "converting euros to yen for my trip, what's today's rate?",
    ),
    ("markets.market_news", "has Nvidia been in the press this week, and why?"),
    ("docs.create_page", "open a fresh page titled Offsite 2025 notes"),
    (
        "docs.search_pages",
        "our onboarding checklist is written up somewhere in the wiki, locate it",
    ),
    ("docs.append_text", "tack what we decided today onto the end of the project write-up"),
    ("docs.export_pdf", "the employee handbook has to be printed, give me a PDF of it"),
    ("sheets.read_range", "read me cells B2 through B10 of the budget workbook"),
    ("sheets.append_row", "log today's sales figures as a new row at the bottom of the tracker"),
    ("sheets.update_cell", "in the price list, item 4 now costs 19.99"),
    ("sheets.create_chart", "visualize revenue by month from the workbook as a bar chart"),
    ("translation.translate_text", "what is the German for 'the meeting has been postponed'?"),
    (
        "translation.detect_language",
        "a customer wrote 'obrigado pela ajuda', which language is that?",
    ),
    (
        "translation.translate_document",
        "the supplier contract is a .docx in English; I need it in Spanish with the layout intact",
    ),
    (
        "code.open_pull_request",
        "the dark-mode work is done on my branch; propose it for inclusion so teammates can look",
    ),
    ("code.merge_pull_request", "both reviewers approved the change, integrate it now"),
    ("code.list_commits", "what has been committed to main since Friday?"),
    ("code.create_branch", "cut a branch named search-refactor off main"),
    ("code.run_pipeline", "trigger CI on the release branch so we see if it's green"),
    ("hr.request_time_off", "I'm planning holidays for August 1 to 7, file that for me"),
    ("hr.employee_directory", "list the people on the legal team and their roles"),
    (
        "hr.onboard_employee",
        "Maria is our new accountant from Monday; start the new-hire process for her",
    ),
    ("hr.payslip", "my bank wants proof of income, fetch my May pay statement"),
    (
        "commerce.list_orders ozon_list_orders",
        "what orders has the online shop received since this morning?",
    ),
    ("commerce.update_inventory", "a delivery of 50 blue mugs came in, so we now have 62 in stock"),
    (
        "commerce.create_product",
        "add a new listing: brown leather wallet, 45 USD, with the three photos",
    ),
    (
        "commerce.refund_order",
        "order 1042 was delivered broken; the buyer gets the money back and the items go back to inventory",
    ),
    (
        "shipping.track_package cdek_track_parcel russian_post_track",
        "my sister hasn't received the birthday box yet, where is it now?",
    ),
    ("shipping.create_label", "I need a printable shipping label for a box to Denver, 5 pounds"),
    ("shipping.rate_quote", "compare what it costs to send 3 kg to Toronto"),
    (
        "shipping.schedule_pickup",
        "the returns are packed; arrange for them to be collected at our office tomorrow morning",
    ),
    ("sms.send_sms", "send a text to Mom's number: landed safely, call you later"),
    (
        "sms.make_call",
        "phone the patient automatically and say their appointment is tomorrow at 10",
    ),
    ("sms.lookup_number", "which carrier does +1 415 555 0134 belong to?"),
    (
        "social.publish_post vk_publish_post",
        "our followers should learn today that version 3 of the app is out",
    ),
    (
        "social.schedule_post",
        "queue the Christmas greeting so it's published on our profile on the 24th at nine",
    ),
    ("social.get_mentions", "who has tagged or replied to our brand account today?"),
    ("social.account_analytics", "how did our audience and engagement grow in October?"),
    (
        "websearch.web_search",
        "what does the internet say about descaling an espresso machine with vinegar?",
    ),
    ("websearch.news_search", "latest reporting on the French elections, please"),
    ("websearch.image_search", "I want inspiration photos of Scandinavian-style kitchens"),
    ("websearch.fetch_page", "what does the page at https://example.com/post/42 say?"),
    ("media.search", "is there a video showing how to knit a simple scarf for beginners?"),
    ("media.create_playlist", "put together energetic tracks I can jog to and save them as a list"),
    ("media.transcript", "I missed the lecture video; get me its subtitles as text"),
    ("smarthome.switch_device", "the lamp in the lounge is still on, switch it off"),
    ("smarthome.set_thermostat", "the house is chilly, heating to 22 please"),
    ("smarthome.read_sensor", "what is the humidity reading in the basement?"),
    (
        "identity.reset_credentials",
        "Anna is locked out after forgetting her login, set her up with a new one",
    ),
    (
        "identity.disable_user",
        "our contract with Pavel's agency ended, so his account must stop working today",
    ),
    (
        "identity.rotate_secret",
        "someone committed our API token to a public repository; issue a new one and retire the old",
    ),
    (
        "accounting.record_expense",
        "team lunch came to 80 euros on the company card; book it with the receipt",
    ),
    ("accounting.profit_loss", "were we profitable from July to September?"),
    (
        "accounting.create_bill",
        "the print shop sent an invoice for 300 flyers; get it into the books as payable",
    ),
]

RUSSIAN_REQUESTS: list[tuple[str, str]] = [
    (
        "issues.create_issue yandex_tracker_create_issue",
        "клиенты жалуются, что после регистрации им ничего не приходит; оформи это для разработки, чтобы не потерялось",
    ),
    (
        "issues.close_issue",
        "Рави проверил, двойное списание больше не воспроизводится, эту проблему можно считать решённой",
    ),
    (
        "issues.comment_issue",
        "в карточке дефекта про тормоза при загрузке допиши, что на айфонах то же самое",
    ),
    ("issues.assign_issue", "проблему с входом через соцсети пусть берёт на себя Дима"),
    (
        "issues.search_issues",
        "прежде чем заводить новое, проверь, не сообщал ли уже кто-то о сбоях выгрузки отчётов",
    ),
    (
        "chat.send_message telegram_bot_notify",
        "сообщи коллегам из бухгалтерии в их переписке, что встреча сдвигается на час",
    ),
    (
        "chat.create_channel",
        "под переезд склада нужно отдельное место для общения всех, кто в этом участвует",
    ),
    (
        "chat.invite_user",
        "Олег пришёл в поддержку, а доступа к их групповой переписке у него нет; подключи его",
    ),
    ("chat.upload_file", "Марине нужен квартальный отчёт, приложи pdf прямо в наш с ней разговор"),
    ("chat.set_status", "пусть коллеги видят, что я на больничном до среды"),
    ("email.send_email", "напиши хозяину квартиры по электронке, что съезжаю тридцатого"),
    ("email.search_inbox", "банк что-нибудь ответил про реструктуризацию? посмотри в ящике"),
    (
        "email.create_draft",
        "подготовь текст ответа партнёрам из Казани, отправлю сам после проверки",
    ),
    ("email.add_label", "все квитанции, что приходили в ящик, пометь как «Расходы»"),
    ("email.forward_email", "приглашение на форум, которое пришло утром, отправь дальше Светлане"),
    ("calendar.create_event", "в пятницу в 10:00 у меня стоматолог, внеси в расписание"),
    ("calendar.list_events", "насколько плотно у меня завтра с созвонами?"),
    (
        "calendar.cancel_event",
        "утренней летучки завтра не будет, убери её и дай знать приглашённым",
    ),
    (
        "calendar.find_free_slot",
        "нужно найти общее окно на час для меня, Ильи и Ксении на следующей неделе",
    ),
    (
        "calendar.reschedule_event",
        "встречу с подрядчиком в понедельник не успеваем, перенеси на четверг",
    ),
    (
        "storage.upload_file yandex_disk_upload",
        "сохрани эти снимки с моря онлайн, в каталог «Отпуск 2024»",
    ),
    ("storage.download_file", "мне на ноутбук нужен скан паспорта, который лежит в облаке"),
    (
        "storage.share_link",
        "заказчик должен посмотреть макеты без регистрации, дай мне адрес на папку",
    ),
    ("storage.list_folder", "покажи содержимое каталога «Договоры 2024»"),
    ("storage.delete_file", "архивы за 2019 год больше не нужны, сотри их из облака"),
    (
        "payments.create_invoice onec_create_invoice",
        "ООО «Луч» должно нам за апрельское обслуживание, оформи им документ на оплату",
    ),
    (
        "payments.refund_payment",
        "у покупательницы по заказу 77 карта списалась два раза, одно списание отмени",
    ),
    ("payments.list_transactions", "какие оплаты картами прошли у нас во вторник?"),
    (
        "payments.cancel_subscription",
        "госпожа Лопес больше не хочет, чтобы с неё каждый месяц брали за премиум",
    ),
    ("payments.get_balance", "какая сумма доступна к выводу с нашего мерчант-аккаунта?"),
    (
        "crm.create_lead amocrm_add_contact",
        "на ярмарке говорил с Ингрид из «Северных продуктов», возможно купят у нас — запиши её как потенциального покупателя",
    ),
    ("crm.update_deal_stage", "по клинике продвинулись: уже обсуждаем условия контракта"),
    (
        "crm.log_call",
        "у меня был двадцатиминутный телефонный разговор с финдиректором «Альфы», зафиксируй",
    ),
    ("crm.find_contact", "кто у нас контактное лицо в «Вега Логистик» и как с ним связаться?"),
    ("crm.list_opportunities", "какие незакрытые возможности продаж прогнозируются до июля?"),
    (
        "databases.run_query",
        "выбери из продовой базы число пользователей, зарегистрированных вчера",
    ),
    ("databases.list_tables", "я впервые в отчётной базе — какие там есть коллекции?"),
    ("databases.describe_table", "перед отчётом мне надо понять структуру таблицы счетов"),
    (
        "databases.backup_database",
        "ночью меняем схему, поэтому сначала сохрани копию базы, из которой можно восстановиться",
    ),
    (
        "databases.kill_query",
        "какой-то отчёт уже час держит базу и блокирует запись, прекрати его",
    ),
    ("infra.list_instances", "дай обзор того, что крутится в продакшене и в каком оно состоянии"),
    ("infra.restart", "оформление заказа опять зависло, запусти этот сервис заново"),
    ("infra.scale", "впереди распродажа, пусть работают восемь реплик витрины"),
    ("infra.get_logs", "воркер упал около полудня; что он выводил перед этим?"),
    ("infra.deploy_image", "отправь релиз 2.3 api в продакшен"),
    ("monitoring.query_metric", "покажи задержку ответов api за последние сутки"),
    (
        "monitoring.create_alert",
        "пусть дежурному приходит сигнал, если свободного места на диске меньше десяти процентов",
    ),
    (
        "monitoring.acknowledge_incident",
        "вызов по поводу падения сайта беру на себя, отметь это в системе",
    ),
    ("monitoring.silence_alert", "сегодня с часу до трёх обновляемся, пусть никого не будят"),
    ("monitoring.list_errors", "какие падения ловили пользователи после вторничного деплоя?"),
    (
        "weather.current_weather",
        "собираюсь ехать домой на велосипеде в Казани, какой там сейчас ветер?",
    ),
    (
        "weather.forecast yandex_weather",
        "планирую выходные в Сочи: дождь или солнце с пятницы по воскресенье?",
    ),
    (
        "weather.air_quality",
        "в Красноярске опять режим чёрного неба? насколько грязный сегодня воздух",
    ),
    ("weather.uv_index", "в полдень идём на пляж в Анталье, насколько жёсткое там солнце?"),
    (
        "weather.severe_alerts",
        "действует ли сейчас где-нибудь в Приморье предупреждение о тайфуне?",
    ),
    ("maps.geocode", "мне нужны широта и долгота для адреса Тверская, 7"),
    ("maps.reverse_geocode", "телефон показывает 59.9398, 30.3146 — какой это адрес?"),
    (
        "maps.directions yandex_maps_route",
        "проложи мне пеший путь от Курского вокзала до Третьяковской галереи",
    ),
    ("maps.nearby_places", "живу в гостинице в центре, нужна аптека в пешей доступности"),
    (
        "maps.travel_time yandex_maps_route",
        "если я сейчас выеду во Внуково на машине, во сколько буду там?",
    ),
    (
        "travel.search_flights",
        "какие есть варианты долететь из Москвы до Стамбула двенадцатого июня?",
    ),
    (
        "travel.search_stays",
        "двоим взрослым нужно где-то остановиться в Калининграде с третьего по шестое",
    ),
    ("travel.create_booking", "вариант на 9 утра подходит, закрепи за мной это место"),
    ("travel.cancel_booking", "планы поменялись, гостиницу по подтверждению XY77 снимаем"),
    ("travel.booking_status", "номер на пятницу в итоге подтвердили или нет?"),
    ("markets.quote", "сколько сейчас стоит одна бумага Газпрома?"),
    ("markets.historical_prices", "нужны дневные цены закрытия Лукойла за весь 2023 год"),
    (
        "markets.company_financials",
        "вытащи отчёт о прибылях и убытках Магнита и его маржу за прошлый год",
    ),
    (
        "markets.fx_rate cbr_exchange_rate",
        "меняю доллары перед поездкой, сколько рублей дают за один?",
    ),
    ("markets.market_news", "что за последние дни писали о нефтяниках?"),
    ("docs.create_page", "открой новую страницу с заголовком «Выездная сессия: заметки»"),
    ("docs.search_pages", "где-то в вики описан порядок оформления отпусков, найди"),
    (
        "docs.append_text",
        "сегодняшние договорённости надо дописать в самый низ документа по проекту",
    ),
    ("docs.export_pdf", "справочник сотрудника надо распечатать, сделай из него pdf"),
    ("sheets.read_range", "прочитай мне ячейки с B2 по B10 из бюджета"),
    ("sheets.append_row", "внеси сегодняшние продажи новой строкой в конец учётной таблицы"),
    ("sheets.update_cell", "в прайс-листе четвёртая позиция теперь стоит 990"),
    ("sheets.create_chart", "покажи помесячную выручку из таблицы столбчатой диаграммой"),
    ("translation.translate_text", "как будет по-немецки «встреча отложена»?"),
    ("translation.detect_language", "клиент написал «dziękuję bardzo» — это что за язык?"),
    (
        "translation.translate_document",
        "договор поставщика лежит в docx на английском; нужен испанский вариант с той же вёрсткой",
    ),
    (
        "code.open_pull_request",
        "работа над тёмной темой закончена в моей ветке; предложи её коллегам на проверку",
    ),
    ("code.merge_pull_request", "оба ревьюера дали добро, объединяй изменения"),
    ("code.list_commits", "какие коммиты попали в main с пятницы?"),
    ("code.create_branch", "отведи от main ветку search-refactor"),
    ("code.run_pipeline", "прогони CI на релизной ветке, посмотрим, зелёная ли она"),
    ("hr.request_time_off", "планирую отдыхать с 1 по 7 августа, оформи это"),
    ("hr.employee_directory", "перечисли сотрудников юридической службы и их должности"),
    (
        "hr.onboard_employee",
        "Мария с понедельника наш новый бухгалтер, запусти для неё процесс приёма",
    ),
    ("hr.payslip", "банк просит подтвердить доход, достань мою ведомость по зарплате за май"),
    ("commerce.list_orders ozon_list_orders", "что заказали в интернет-магазине с утра?"),
    ("commerce.update_inventory", "приехала поставка синих кружек, теперь их на складе 62"),
    (
        "commerce.create_product",
        "добавь новую карточку: коричневый кожаный кошелёк, 3000 рублей, три фото",
    ),
    (
        "commerce.refund_order",
        "заказ 1042 доставили разбитым: покупателю деньги назад, товар обратно в учёт",
    ),
    (
        "shipping.track_package cdek_track_parcel russian_post_track",
        "сестре до сих пор не пришла коробка ко дню рождения, где она сейчас?",
    ),
    ("shipping.create_label", "мне нужна печатная этикетка на коробку в Самару, пять килограммов"),
    ("shipping.rate_quote", "во что обойдётся доставка трёх килограммов в Алматы?"),
    (
        "shipping.schedule_pickup",
        "возвраты упакованы, организуй, чтобы их забрали из офиса завтра утром",
    ),
    ("sms.send_sms", "отправь на мамин номер текстом: долетел нормально, позже позвоню"),
    ("sms.make_call", "пусть автоматический звонок скажет пациенту, что приём завтра в 10"),
    ("sms.lookup_number", "какому оператору принадлежит +7 916 555-01-34?"),
    (
        "social.publish_post vk_publish_post",
        "подписчики должны сегодня узнать, что вышла третья версия приложения",
    ),
    (
        "social.schedule_post",
        "поставь новогоднее поздравление в очередь, чтобы оно вышло на нашей странице 31-го в девять",
    ),
    ("social.get_mentions", "кто сегодня отмечал наш бренд или отвечал на наши записи?"),
    (
        "social.account_analytics",
        "как выросли аудитория и вовлечённость нашего аккаунта в октябре?",
    ),
    ("websearch.web_search", "что советуют в интернете про чистку эспрессо-машины уксусом?"),
    ("websearch.news_search", "свежие публикации о выборах во Франции, пожалуйста"),
    ("websearch.image_search", "хочу фотографии кухонь в скандинавском стиле для вдохновения"),
    ("websearch.fetch_page", "что написано на странице https://example.com/post/42?"),
    ("media.search", "есть ли ролик для новичков, где показывают, как связать простой шарф?"),
    ("media.create_playlist", "собери энергичные треки под бег и сохрани их списком"),
    ("media.transcript", "я пропустил лекцию на видео — достань её субтитры текстом"),
    ("smarthome.switch_device", "в зале до сих пор горит торшер, погаси его"),
    ("smarthome.set_thermostat", "в доме зябко, поставь отопление на 22"),
    ("smarthome.read_sensor", "подвал не сырой? глянь показания влажности"),
    (
        "identity.reset_credentials",
        "Анна не помнит данные для входа и заблокирована, выдай ей новые",
    ),
    (
        "identity.disable_user",
        "договор с агентством Павла закончился, его учётная запись должна перестать работать сегодня",
    ),
    (
        "identity.rotate_secret",
        "кто-то выложил наш API-ключ в открытый репозиторий; выпусти новый, а старый отзови",
    ),
    (
        "accounting.record_expense",
        "обед команды на 5000 оплатили корпоративной картой, учти это с чеком",
    ),
    ("accounting.profit_loss", "мы с июля по сентябрь заработали или потеряли?"),
    ("accounting.create_bill", "типография прислала счёт за 300 листовок, заведи его к оплате"),
    (
        "bitrix24_create_deal",
        "«Горизонт» готов купить у нас на 300 тысяч, оформи это как продажу в CRM",
    ),
    ("bitrix24_add_task", "Кате нужно к среде подготовить презентацию, поручи ей со сроком"),
    ("onec_stock_balance", "сколько зимней резины у нас ещё числится на складе?"),
    (
        "sber_payment_status",
        "клиент говорит, что оплатил заказ 5521 на сайте — деньги реально дошли?",
    ),
    (
        "tinkoff_transfer",
        "оплати поставщику 40 тысяч с расчётного счёта по реквизитам из его счёта",
    ),
    (
        "vk_messages_send",
        "ответь подписчику в личные сообщения от имени нашего сообщества, что его заказ готов",
    ),
    (
        "wildberries_update_prices",
        "летняя коллекция не продаётся, опусти на неё цену на маркетплейсе процентов на 15",
    ),
    (
        "hh_search_vacancies",
        "хочу сменить работу: какие есть места аналитика данных в Новосибирске?",
    ),
    ("hh_search_resumes", "ищем бухгалтера с опытом от трёх лет, подбери анкеты соискателей"),
    ("gosuslugi_fine_check", "не висят ли на моих правах неоплаченные штрафы за превышение?"),
    ("fns_company_lookup", "проверь контрагента с ИНН 7707083893 — он вообще действует?"),
    ("yandex_metrica_report", "сколько людей зашло на сайт за неделю и из каких источников?"),
    (
        "yandex_direct_campaign_stats",
        "во что нам обошлась контекстная реклама в поисковике за месяц и сколько она дала переходов?",
    ),
    ("kontur_diadoc_send", "акт сверки для «Луча» нужно передать им юридически значимо, через ЭДО"),
    ("mos_ru_water_meter", "пора сдать показания по воде: холодная 123, горячая 78"),
    ("avito_post_ad", "велик пылится на балконе, давай выставим его на продажу тысяч за восемь"),
    ("yandex_taxi_order", "нужна машина от дома до аэропорта к шести утра"),
    ("sberzdorovie_book_doctor", "хочу попасть к терапевту завтра, найди запись"),
]

UNRELATED: list[str] = [
    "suggest a name for my new golden retriever",
    "when do I use 'affect' versus 'effect'?",
    "compose a limerick starring a sleepy cat",
    "convert three quarters of a cup to milliliters",
    "give me Hamlet's story in three sentences",
    "I have an interview Friday, how should I prepare?",
    "dinner idea using chickpeas and spinach",
    "change 'the dog chased the ball' to passive voice",
    "we're selling lemonade on the corner, invent a catchy slogan",
    "explain simply why sunsets are red",
    "a fun board game for a group of six?",
    "which city is Australia's seat of government?",
    "I can't attend my cousin's wedding, help me say no kindly",
    "name ideas for a gardening podcast",
    "should my next car be electric? weigh it up",
    "show me a card trick a kid could do",
    "minutes for a soft-boiled egg?",
    "tell a bedtime tale about a friendly dragon",
    "'less people' or 'fewer people', which is right?",
    "bodyweight workout for twenty minutes, no equipment",
    "origin of the phrase 'break the ice'",
    "structure for an essay about carbon taxes",
    "I snapped at my friend yesterday, how do I make it right?",
    "what is 15% of 240",
    "theme ideas for a seven-year-old's party",
]

RUSSIAN_UNRELATED: list[str] = [
    "как назвать щенка золотистого ретривера?",
    "когда пишут «одеть», а когда «надеть»?",
    "сочини стишок про сонного кота",
    "сколько миллилитров в трёх четвертях стакана?",
    "«Евгений Онегин» в трёх предложениях",
    "в пятницу собеседование, как подготовиться?",
    "идея ужина из нута и шпината",
    "переделай в страдательный залог: собака гнала мяч",
    "продаём лимонад на углу, придумай броскую фразу",
    "объясни просто, почему закат красный",
    "весёлая настолка на компанию из шести человек?",
    "какой город столица Австралии?",
    "не смогу прийти на свадьбу двоюродного брата, помоги мягко отказать",
    "варианты названия подкаста про огород",
    "стоит ли брать электромобиль? взвесь",
    "покажи фокус с картами, который осилит ребёнок",
    "сколько минут варить яйцо в мешочек?",
    "расскажи сказку на ночь про доброго дракона",
    "«в течение» или «в течении» — как правильно?",
    "тренировка на двадцать минут без инвентаря",
    "откуда пошло выражение «бить баклуши»?",
    "план эссе про углеродный налог",
    "вчера нагрубил другу, как загладить вину?",
    "15% от 240 — это сколько",
    "тема праздника для семилетки",
]


def main() -> None:
    write("dev.jsonl", ENGLISH, RUSSIAN_REQUESTS, UNRELATED, RUSSIAN_UNRELATED)


if __name__ == "__main__":
    main()
