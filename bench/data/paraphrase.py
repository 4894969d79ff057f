# ruff: noqa: RUF001, E501 -- a data file: Russian text on purpose, one request per line
"""Writes ``paraphrase.jsonl``: the held-out evaluation set, requests in people's own words.

Written by hand, separately from the tool descriptions and from ``generate.py``'s requests,
in the style that set lacks: what the user wants, said the way they would say it, with no
tool, vendor or product name ("did anyone in the team chat mention the outage?", not "search
Slack for outage"), synonyms and indirect requests ("my flight got cancelled, get me home by
Friday"), in English and Russian. Nothing tunes on it: thresholds and fusion are set on
``queries.jsonl`` alone, and this set only reports (see README.md).

A request names its intents: ``domain.operation`` means every vendor's tool of that
operation in ``generate.DOMAINS`` (a request without a vendor is served by any of them); a
bare name is one of the Russian-described tools. A request is answered correctly when any of
its intents' tools is offered. Run ``python -m bench.data.paraphrase`` to rewrite the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.data.generate import DOMAINS, RUSSIAN

HERE = Path(__file__).resolve().parent

# (intents separated by spaces, request)
ENGLISH: list[tuple[str, str]] = [
    (
        "issues.create_issue yandex_tracker_create_issue",
        "the export button throws a 500 again, can you log that so the devs pick it up",
    ),
    (
        "issues.create_issue yandex_tracker_create_issue",
        "we need a ticket for the typo on the pricing page",
    ),
    ("issues.close_issue", "that crash on startup is fixed now, you can mark it resolved"),
    (
        "issues.comment_issue",
        "add a note to the bug about slow search that it only happens on mobile",
    ),
    ("issues.assign_issue", "hand the flaky login bug over to Priya, she knows that code"),
    (
        "issues.search_issues",
        "what problems have customers reported about invoices that nobody has fixed yet",
    ),
    ("issues.search_issues", "is there already a ticket for the broken dark mode?"),
    (
        "chat.send_message telegram_bot_notify",
        "let everyone in the team chat know the release is delayed until Monday",
    ),
    (
        "chat.send_message telegram_bot_notify",
        "ping the backend folks that the staging database is back up",
    ),
    ("chat.create_channel", "set up a new room for the conference planning group"),
    ("chat.invite_user", "add our new designer Tom to the marketing chat"),
    ("chat.upload_file", "drop the signed contract PDF into my conversation with Alex"),
    ("chat.set_status", "show me as out sick today so people don't wait for my replies"),
    ("email.send_email", "write to the landlord that the heating is broken and cc my roommate"),
    ("email.send_email", "shoot the client a quick note confirming tomorrow's 3pm call"),
    ("email.search_inbox", "did the bank ever write back about my mortgage application?"),
    (
        "email.search_inbox",
        "find that message from HR with the holiday schedule, I think it came in March",
    ),
    (
        "email.create_draft",
        "prepare a reply to the supplier but don't send it, I want to read it first",
    ),
    ("email.add_label", "file all the receipts from last week under Expenses"),
    ("email.forward_email", "pass the invitation I got from the conference organisers on to Maria"),
    ("calendar.create_event", "put a dentist appointment in my schedule for Thursday at 9"),
    (
        "calendar.create_event",
        "block two hours on Friday afternoon for the quarterly review with the sales team",
    ),
    ("calendar.list_events", "what does my day look like tomorrow?"),
    ("calendar.list_events", "am I busy next Tuesday morning?"),
    (
        "calendar.cancel_event",
        "the team lunch on Wednesday is off, call it off and let people know",
    ),
    ("calendar.find_free_slot", "when could the four of us meet for an hour next week?"),
    ("calendar.reschedule_event", "push my one-on-one with Dana to later in the afternoon"),
    (
        "storage.upload_file yandex_disk_upload",
        "back up these holiday photos to my online storage, folder Summer",
    ),
    (
        "storage.download_file",
        "grab the budget spreadsheet from my cloud files so I can open it offline",
    ),
    ("storage.share_link", "give the photographer a link so she can see the wedding album folder"),
    ("storage.list_folder", "what's in the shared Projects folder right now?"),
    (
        "storage.delete_file",
        "get rid of the old drafts directory in my cloud storage, we don't need it",
    ),
    (
        "payments.create_invoice onec_create_invoice",
        "bill Acme for the 40 hours of consulting we did in May",
    ),
    (
        "payments.refund_payment",
        "the customer was charged twice, give them back the second payment",
    ),
    (
        "payments.list_transactions sber_payment_status",
        "did the payment from order 8812 actually go through?",
    ),
    ("payments.list_transactions", "show me all card charges we received yesterday"),
    (
        "payments.cancel_subscription",
        "this customer wants to stop their monthly plan, end it for them",
    ),
    ("payments.get_balance", "how much money is sitting in our merchant account right now?"),
    (
        "crm.create_lead amocrm_add_contact",
        "I met a potential buyer at the fair, Jane Roe from Globex, save her details as a prospect",
    ),
    (
        "crm.update_deal_stage",
        "the Initech contract moved to negotiation, update it in the sales pipeline",
    ),
    ("crm.log_call", "note that I phoned the Umbrella account today and they want a demo"),
    ("crm.find_contact", "what's the phone number of our contact at Wayne Enterprises?"),
    (
        "crm.list_opportunities",
        "which deals are we expecting to close this quarter and how big are they?",
    ),
    (
        "databases.run_query",
        "how many users signed up last week? count it straight from the production data",
    ),
    ("databases.list_tables", "what tables do we have in the analytics database?"),
    ("databases.describe_table", "what columns does the orders table have and which are indexed?"),
    ("databases.backup_database", "take a snapshot of the database before we run the migration"),
    ("databases.kill_query", "some report query has been hogging the db for an hour, stop it"),
    ("infra.list_instances", "which of our services are up and which ones are crashing?"),
    ("infra.restart", "the payments service is stuck, bounce it"),
    (
        "infra.scale",
        "we're expecting a traffic spike, run six copies of the web frontend instead of two",
    ),
    ("infra.get_logs", "show me what the checkout service printed in the last ten minutes"),
    ("infra.deploy_image", "roll out build 2.14.3 of the api container"),
    ("monitoring.query_metric", "how did CPU usage on the web servers look over the past day?"),
    ("monitoring.create_alert", "warn the on-call person if the error rate goes above 5 percent"),
    (
        "monitoring.acknowledge_incident",
        "I'm on the outage that just paged us, mark that I've got it",
    ),
    (
        "monitoring.silence_alert",
        "we're doing maintenance tonight from 10 to midnight, stop the disk space warnings during that",
    ),
    (
        "monitoring.list_errors",
        "what exceptions has the mobile app been throwing since the last release?",
    ),
    ("weather.current_weather", "is it cold outside in Oslo right now?"),
    (
        "weather.forecast yandex_weather",
        "should I pack an umbrella for my trip to London this weekend?",
    ),
    ("weather.air_quality", "is the air in Delhi safe for a run today?"),
    ("weather.uv_index", "do I need sunscreen at the beach in Nice this afternoon?"),
    ("weather.severe_alerts", "are there any storm warnings for the Florida coast?"),
    ("maps.geocode", "what are the coordinates of 221B Baker Street?"),
    ("maps.reverse_geocode", "my friend sent me a pin at 48.8584, 2.2945, what address is that?"),
    ("maps.directions yandex_maps_route", "how do I walk from the train station to the museum?"),
    ("maps.nearby_places", "is there a pharmacy open near me?"),
    (
        "maps.travel_time",
        "how long will it take to drive to the airport with the traffic right now?",
    ),
    (
        "travel.search_flights",
        "find me a way to fly from Berlin to Rome on the 12th, coming back the 16th",
    ),
    ("travel.search_stays", "somewhere to sleep in Lisbon for two adults, Friday to Sunday"),
    ("travel.create_booking", "that 7am flight looks good, reserve it for me"),
    (
        "travel.cancel_booking",
        "my plans changed, I won't need the hotel room with confirmation HX-4411 anymore",
    ),
    ("travel.booking_status", "is my reservation for next week still confirmed?"),
    ("markets.quote", "how much is one share of the electric car company trading at?"),
    ("markets.historical_prices", "how has the stock moved over the last six months, day by day?"),
    ("markets.company_financials", "what were their revenue and profit margins last year?"),
    ("markets.fx_rate", "how many euros would I get for 500 dollars today?"),
    ("markets.market_news", "what's the latest news about the chipmaker's earnings?"),
    ("docs.create_page", "start a new document for the meeting notes of today's planning session"),
    (
        "docs.search_pages",
        "where did we write down the onboarding checklist? it's in one of our team docs",
    ),
    ("docs.append_text", "add today's action items at the bottom of the project notes"),
    ("docs.export_pdf", "I need the proposal as a PDF to send to the client"),
    ("sheets.read_range", "what numbers are in cells A1 to D20 of the budget sheet?"),
    ("sheets.append_row", "add a line to the expense tracker: taxi, 23 euros, today"),
    ("sheets.update_cell", "change the status in cell F7 of the tracker to done"),
    ("sheets.create_chart", "make a bar graph of monthly sales from the spreadsheet"),
    ("translation.translate_text", "how do you say 'where is the nearest hospital' in Japanese?"),
    ("translation.detect_language", "what language is this text in: 'dziękuję bardzo za pomoc'?"),
    (
        "translation.translate_document",
        "turn this Word contract into German but keep the formatting",
    ),
    (
        "code.open_pull_request",
        "my feature branch is ready, ask for it to be reviewed and merged into main",
    ),
    ("code.merge_pull_request", "the review is approved, land those changes"),
    ("code.list_commits", "what changed on the release branch in the last few days?"),
    ("code.create_branch", "start a new line of work called hotfix-login off main"),
    ("code.run_pipeline", "kick off the build and tests for the develop branch"),
    ("hr.request_time_off", "I want to take the first two weeks of August off"),
    ("hr.employee_directory", "who works in the legal team and what are their roles?"),
    (
        "hr.onboard_employee",
        "our new accountant starts on Monday, get everything going for her first day",
    ),
    ("hr.payslip", "I need my salary statement for October for the bank"),
    (
        "commerce.list_orders ozon_list_orders",
        "what did people buy from our shop today and have the orders shipped?",
    ),
    ("commerce.update_inventory", "we only have 12 of the blue mugs left, update the stock"),
    (
        "commerce.create_product",
        "list a new item in the store: linen tote bag, 19.99, with these photos",
    ),
    (
        "commerce.refund_order",
        "the customer returned order 1045, give the money back and put the items back on the shelf",
    ),
    (
        "shipping.track_package cdek_track_parcel russian_post_track",
        "where's my parcel? the tracking number is 1Z999AA10123456784",
    ),
    ("shipping.create_label", "print a shipping sticker for the box going to Chicago"),
    ("shipping.rate_quote", "how much would it cost to send a 5 kg box from Boston to Denver?"),
    (
        "shipping.schedule_pickup",
        "have a courier come collect the packages from our office tomorrow morning",
    ),
    ("sms.send_sms", "text my wife that I'll be late for dinner"),
    (
        "sms.make_call",
        "ring the customer and read them a reminder that their appointment is at noon",
    ),
    ("sms.lookup_number", "is +1 415 555 0132 a mobile or a landline?"),
    (
        "social.publish_post vk_publish_post",
        "announce our new product on the company's social media page",
    ),
    (
        "social.schedule_post",
        "queue up the Black Friday announcement to go out on the company feed at 8am next Friday",
    ),
    (
        "social.get_mentions",
        "have people been talking about us online today? show me replies to our account",
    ),
    (
        "social.account_analytics",
        "how many followers did we gain last month and how much engagement did we get?",
    ),
    ("websearch.web_search", "look up what people recommend for fixing a squeaky door hinge"),
    ("websearch.news_search", "what's in the news today about the election?"),
    (
        "websearch.image_search",
        "find me some pictures of mid-century modern living rooms for inspiration",
    ),
    (
        "websearch.fetch_page",
        "read this article for me and give me the text: https://example.org/post/42",
    ),
    ("media.search", "find that song that goes 'here comes the sun'"),
    ("media.create_playlist", "put together a list of upbeat songs for my workout"),
    ("media.transcript", "get me the subtitles of that conference talk video so I can quote it"),
    ("smarthome.switch_device", "turn off the lights in the living room"),
    ("smarthome.set_thermostat", "make it a bit warmer at home, say 22 degrees"),
    ("smarthome.read_sensor", "is anyone moving around in the garage? check the motion detector"),
    (
        "identity.reset_credentials",
        "Sam forgot his password and is locked out, sort him out with a new one",
    ),
    ("identity.disable_user", "Kevin left the company today, cut off his access"),
    ("identity.rotate_secret", "the payment API key leaked in a log, replace it with a fresh one"),
    (
        "accounting.record_expense",
        "book the 85 dollar team lunch as a business expense, here's the receipt",
    ),
    ("accounting.profit_loss", "did we make money last quarter? I need the income statement"),
    (
        "accounting.create_bill",
        "we owe the printing company 600 for the flyers, enter it so it gets paid",
    ),
    ("gosuslugi_fine_check", "do I have any unpaid traffic tickets?"),
    ("fns_company_lookup", "check who is behind the company with tax id 7707083893"),
    (
        "hh_search_vacancies",
        "I'm looking for a job as a data analyst in Kazan paying at least 150k",
    ),
    ("hh_search_resumes", "find candidates with five years of Kotlin experience"),
    ("yandex_taxi_order", "get me a cab from home to the airport, economy class"),
    ("sberzdorovie_book_doctor", "I need to see a dermatologist this week, book an appointment"),
    ("mos_ru_water_meter", "submit this month's water meter readings: cold 123, hot 87"),
    ("avito_post_ad", "I want to sell my old bike online for 15000, put up a classified ad"),
]

RUSSIAN_REQUESTS: list[tuple[str, str]] = [
    (
        "issues.create_issue yandex_tracker_create_issue",
        "у клиентов не грузится личный кабинет, заведи на это задачу для разработчиков",
    ),
    ("issues.close_issue", "баг с двойной отправкой формы починили, закрой его"),
    ("issues.comment_issue", "допиши к тикету про медленный поиск, что на айфонах всё нормально"),
    ("issues.assign_issue", "пусть задачей про падающие тесты займётся Ольга"),
    ("issues.search_issues", "какие жалобы на оплату у нас до сих пор не решены?"),
    (
        "chat.send_message telegram_bot_notify",
        "напиши ребятам в рабочий чат, что созвон переносится на 15:00",
    ),
    ("chat.send_message telegram_bot_notify", "сообщи команде, что прод снова работает"),
    ("chat.create_channel", "сделай отдельный канал для обсуждения переезда офиса"),
    ("chat.invite_user", "добавь новенького стажёра в общий чат отдела"),
    ("chat.upload_file", "скинь презентацию Игорю в личку в мессенджере"),
    ("chat.set_status", "поставь мне статус «в отпуске до 20-го»"),
    ("email.send_email", "отправь письмо арендодателю, что мы съезжаем в конце месяца"),
    ("email.search_inbox", "мне приходило письмо от налоговой в прошлом месяце? найди его"),
    ("email.create_draft", "набросай ответ поставщику, но пока не отправляй"),
    ("email.add_label", "разложи все счета из почты по папке «Бухгалтерия»"),
    ("email.forward_email", "перешли Марине письмо с приглашением на конференцию"),
    ("calendar.create_event", "Напомни мне за час до созвона с бухгалтером в пятницу в 11"),
    ("calendar.create_event", "запиши в расписание встречу с юристом на среду в 14:00"),
    ("calendar.list_events", "что у меня запланировано на завтра?"),
    ("calendar.cancel_event", "планёрка в понедельник отменяется, убери её и предупреди всех"),
    ("calendar.find_free_slot", "когда мы вчетвером можем собраться на часик на следующей неделе?"),
    ("calendar.reschedule_event", "перенеси мою встречу с Денисом на вечер"),
    ("storage.upload_file yandex_disk_upload", "закинь фотки с отпуска в облако, в папку «Лето»"),
    ("storage.download_file", "скачай мне из облака таблицу с бюджетом"),
    ("storage.share_link", "дай фотографу доступ к папке со свадебными снимками по ссылке"),
    ("storage.list_folder", "что сейчас лежит в общей папке «Проекты»?"),
    ("storage.delete_file", "удали из облачного хранилища старые черновики, они больше не нужны"),
    ("payments.create_invoice onec_create_invoice", "выстави клиенту счёт за консультации за май"),
    ("payments.refund_payment", "с покупателя списали деньги дважды, верни ему лишний платёж"),
    ("payments.list_transactions sber_payment_status", "прошла ли оплата по заказу 7731?"),
    ("payments.cancel_subscription", "клиент хочет отказаться от ежемесячной подписки, отключи её"),
    ("payments.get_balance", "сколько денег сейчас на счёте мерчанта?"),
    (
        "crm.create_lead amocrm_add_contact",
        "на выставке познакомился с потенциальным покупателем, Иван Петров из «Ромашки», занеси его как лида",
    ),
    ("crm.update_deal_stage", "сделка с «Вектором» перешла на этап согласования договора"),
    ("crm.log_call", "отметь, что я сегодня звонил в «Альфа-Строй» и они просят демо"),
    ("crm.find_contact", "какой телефон у нашего контакта в компании «Горизонт»?"),
    (
        "crm.list_opportunities",
        "какие сделки мы рассчитываем закрыть в этом квартале и на какие суммы?",
    ),
    (
        "bitrix24_create_deal crm.create_lead",
        "заведи новую сделку: поставка оборудования для «Техносила», 2 миллиона",
    ),
    ("databases.run_query", "посчитай по базе, сколько заказов было оформлено вчера"),
    ("databases.list_tables", "какие таблицы есть в аналитической базе данных?"),
    ("databases.describe_table", "какие поля у таблицы клиентов и какого они типа?"),
    ("databases.backup_database", "сделай резервную копию базы перед обновлением"),
    ("databases.kill_query", "какой-то отчёт уже час грузит базу, прибей этот запрос"),
    ("infra.list_instances", "какие сервисы сейчас запущены и какие падают?"),
    ("infra.restart", "сервис платежей завис, перезапусти его"),
    ("infra.scale", "ожидается наплыв пользователей, подними ещё четыре копии фронтенда"),
    ("infra.get_logs", "покажи, что писал сервис корзины в логи за последние полчаса"),
    ("infra.deploy_image", "выкати на прод новую версию контейнера api 3.2.0"),
    ("monitoring.query_metric", "как менялась загрузка процессора на серверах за сутки?"),
    (
        "monitoring.create_alert",
        "пусть дежурному приходит предупреждение, если ошибок больше пяти процентов",
    ),
    (
        "monitoring.acknowledge_incident",
        "я уже занимаюсь аварией, по которой нас разбудили, отметь это",
    ),
    ("monitoring.silence_alert", "ночью плановые работы, заглуши уведомления о диске с 23 до часу"),
    ("monitoring.list_errors", "какие исключения сыплются в мобильном приложении после релиза?"),
    ("weather.current_weather yandex_weather", "сколько сейчас градусов на улице в Новосибирске?"),
    ("weather.forecast yandex_weather", "брать ли зонт на выходные в Питер?"),
    ("weather.air_quality", "не вредно ли сегодня бегать на улице, какой там воздух в Москве?"),
    ("weather.uv_index", "нужен ли солнцезащитный крем сегодня в Сочи?"),
    ("weather.severe_alerts", "есть ли штормовые предупреждения по Приморью?"),
    ("maps.geocode", "какие координаты у адреса Тверская, 7?"),
    ("maps.reverse_geocode", "мне прислали точку 55.7539, 37.6208, что это за адрес?"),
    ("maps.directions yandex_maps_route", "как дойти пешком от вокзала до гостиницы?"),
    ("maps.nearby_places", "где поблизости есть работающая аптека?"),
    ("maps.travel_time yandex_maps_route", "сколько ехать до аэропорта с учётом пробок?"),
    ("travel.search_flights", "подбери перелёт из Москвы в Стамбул на 10-е, обратно 17-го"),
    ("travel.search_stays", "найди, где переночевать в Казани двоим с пятницы по воскресенье"),
    ("travel.create_booking", "этот утренний рейс подходит, забронируй его на меня"),
    (
        "travel.cancel_booking",
        "планы поменялись, отмени бронь гостиницы с номером подтверждения HX-4411",
    ),
    ("travel.booking_status", "моя бронь на следующую неделю всё ещё в силе?"),
    ("markets.quote", "почём сейчас акции производителя электромобилей?"),
    ("markets.historical_prices", "как менялась цена акции за полгода по дням?"),
    ("markets.company_financials", "какая была выручка и прибыль у компании в прошлом году?"),
    ("markets.fx_rate cbr_exchange_rate", "сколько сегодня стоит доллар в рублях?"),
    ("cbr_exchange_rate markets.fx_rate", "какой официальный курс евро был на 1 марта?"),
    ("markets.market_news", "что пишут о квартальных результатах производителя чипов?"),
    ("docs.create_page", "создай документ для протокола сегодняшней планёрки"),
    (
        "docs.search_pages",
        "где у нас записан чек-лист для новичков? он в какой-то из наших страниц",
    ),
    ("docs.append_text", "допиши в конец заметок по проекту сегодняшние договорённости"),
    ("docs.export_pdf", "сохрани коммерческое предложение в PDF, отправлю клиенту"),
    ("sheets.read_range", "какие значения в ячейках с A1 по D20 в таблице бюджета?"),
    ("sheets.append_row", "добавь строчку в таблицу расходов: такси, 800 рублей, сегодня"),
    ("sheets.update_cell", "поменяй статус в ячейке F7 на «готово»"),
    ("sheets.create_chart", "построй столбчатую диаграмму продаж по месяцам из таблицы"),
    ("translation.translate_text", "как по-испански будет «где ближайшая больница»?"),
    ("translation.detect_language", "на каком это языке: «dziękuję bardzo za pomoc»?"),
    (
        "translation.translate_document",
        "переведи договор в ворде на английский, сохранив оформление",
    ),
    ("code.open_pull_request", "ветка с фичей готова, отправь её на ревью в main"),
    ("code.merge_pull_request", "ревью пройдено, влей изменения"),
    ("code.list_commits", "что поменялось в релизной ветке за последние дни?"),
    ("code.create_branch", "заведи новую ветку hotfix-login от main"),
    ("code.run_pipeline", "запусти сборку и тесты для ветки develop"),
    ("hr.request_time_off", "хочу взять отпуск на первые две недели августа"),
    ("hr.employee_directory", "кто работает в юридическом отделе и на каких должностях?"),
    (
        "hr.onboard_employee",
        "в понедельник выходит новая бухгалтер, запусти всё для её первого дня",
    ),
    ("hr.payslip", "мне нужен расчётный листок за октябрь для банка"),
    (
        "commerce.list_orders ozon_list_orders",
        "что у нас сегодня заказали в магазине и отправлены ли заказы?",
    ),
    ("commerce.update_inventory", "синих кружек осталось 12 штук, обнови остаток"),
    (
        "commerce.create_product",
        "добавь в магазин новый товар: льняная сумка, 1500 рублей, вот фото",
    ),
    (
        "commerce.refund_order",
        "покупатель вернул заказ 1045, верни ему деньги и верни товар на склад",
    ),
    (
        "shipping.track_package cdek_track_parcel russian_post_track",
        "где сейчас моя посылка? трек-номер RA123456789RU",
    ),
    ("shipping.create_label", "распечатай наклейку для отправки коробки в Екатеринбург"),
    ("shipping.rate_quote", "сколько будет стоить отправить коробку 5 кг из Москвы в Краснодар?"),
    ("shipping.schedule_pickup", "вызови курьера забрать посылки из офиса завтра утром"),
    ("sms.send_sms", "кинь жене эсэмэску, что я задержусь к ужину"),
    ("sms.make_call", "позвони клиенту и автоматически напомни, что приём в 12:00"),
    ("sms.lookup_number", "это мобильный или городской номер: +7 495 123-45-67?"),
    (
        "social.publish_post vk_publish_post",
        "расскажи подписчикам в нашем сообществе о новой коллекции",
    ),
    ("social.schedule_post", "запланируй пост про чёрную пятницу на 8 утра следующей пятницы"),
    ("social.get_mentions", "что о нас сегодня пишут в соцсетях? покажи упоминания и ответы"),
    (
        "social.account_analytics",
        "сколько подписчиков мы набрали за прошлый месяц и какой был охват?",
    ),
    ("websearch.web_search", "поищи, как люди советуют убрать скрип двери"),
    ("websearch.news_search", "что сегодня пишут в новостях про выборы?"),
    ("websearch.image_search", "найди картинки интерьеров в скандинавском стиле для вдохновения"),
    ("websearch.fetch_page", "прочитай эту статью и дай мне её текст: https://example.org/post/42"),
    ("media.search", "найди песню, где поют «я свободен, словно птица в небесах»"),
    ("media.create_playlist", "собери подборку бодрой музыки для тренировки"),
    ("media.transcript", "достань субтитры того доклада с видео, хочу процитировать"),
    ("smarthome.switch_device", "выключи свет в гостиной"),
    ("smarthome.set_thermostat", "сделай дома потеплее, градусов 22"),
    ("smarthome.read_sensor", "какая сейчас влажность в детской по датчику?"),
    ("identity.reset_credentials", "Саша забыл пароль и не может войти, выдай ему новый"),
    ("identity.disable_user", "Кирилл сегодня уволился, закрой ему все доступы"),
    ("identity.rotate_secret", "ключ от платёжного API засветился в логах, замени его на новый"),
    (
        "accounting.record_expense",
        "проведи обед с командой на 6000 рублей как расход компании, вот чек",
    ),
    (
        "accounting.profit_loss",
        "мы в прошлом квартале были в плюсе? нужен отчёт о прибылях и убытках",
    ),
    ("accounting.create_bill", "мы должны типографии 50 тысяч за листовки, внеси это к оплате"),
    ("bitrix24_add_task", "поручи Светлане подготовить отчёт к пятнице"),
    ("onec_stock_balance", "сколько у нас на складе осталось ноутбуков?"),
    ("tinkoff_transfer", "переведи поставщику 120 тысяч по реквизитам из счёта"),
    ("vk_messages_send", "ответь подписчице в личные сообщения сообщества, что заказ уже в пути"),
    ("wildberries_update_prices", "сделай скидку 15% на все кроссовки на маркетплейсе"),
    ("hh_search_vacancies", "ищу работу аналитиком данных в Казани от 150 тысяч"),
    ("hh_search_resumes", "найди кандидатов с опытом на Kotlin от пяти лет"),
    ("gosuslugi_fine_check", "есть ли у меня неоплаченные штрафы за превышение скорости?"),
    ("fns_company_lookup", "проверь контрагента по ИНН 7707083893, кто это вообще такие"),
    ("yandex_metrica_report", "сколько людей зашло на сайт на прошлой неделе и откуда они пришли?"),
    (
        "yandex_direct_campaign_stats",
        "сколько мы потратили на контекстную рекламу в этом месяце и сколько было кликов?",
    ),
    ("kontur_diadoc_send", "отправь контрагенту подписанный акт сверки в электронном виде"),
    ("mos_ru_water_meter", "передай показания воды: холодная 123, горячая 87"),
    ("avito_post_ad", "хочу продать старый велосипед за 15 тысяч, размести объявление"),
    ("yandex_taxi_order", "вызови машину от дома до аэропорта, эконом"),
    ("sberzdorovie_book_doctor", "запиши меня к дерматологу на этой неделе"),
    (
        "telegram_bot_notify chat.send_message",
        "пусть бот скинет в чат дежурных, что бэкап завершился",
    ),
]

# Requests that sound like tasks or questions but that no tool in the set serves.
UNRELATED: list[str] = [
    "help me come up with a name for my bakery",
    "what should I say in a toast at my sister's wedding?",
    "rewrite this sentence to sound more polite: send me the file now",
    "I can't sleep, any tips?",
    "is it rude to leave a party without saying goodbye?",
    "write a short bedtime story about a brave little turtle",
    "what's a good way to apologise to a friend I hurt?",
    "explain the difference between a loan and a lease",
    "which is healthier, rice or pasta?",
    "how do I start learning to draw?",
    "give me three ideas for a team-building game",
    "what's the square root of 1764?",
    "proofread my paragraph: their going to the park tomorow",
    "what's a polite way to decline a job offer?",
    "my cat keeps scratching the sofa, what can I do?",
    "summarise the main arguments for and against remote work",
    "write a riddle for a ten year old",
    "how should I structure a five-minute presentation?",
    "can you pretend to be a pirate for a minute?",
    "what makes a good password, in general?",
    "help me plan a vegetarian menu for a dinner party",
    "what's the best way to memorise vocabulary?",
    "convince me to go to the gym today",
    "is it better to rent or buy a home, in principle?",
    "write a thank-you note for my teacher",
]

RUSSIAN_UNRELATED: list[str] = [
    "помоги придумать название для пекарни",
    "что сказать в тосте на свадьбе сестры?",
    "перефразируй вежливее: скинь мне файл срочно",
    "не могу уснуть, что посоветуешь?",
    "прилично ли уйти с вечеринки не попрощавшись?",
    "сочини сказку на ночь про смелую черепашку",
    "как лучше извиниться перед другом, которого я обидел?",
    "в чём разница между кредитом и лизингом?",
    "что полезнее, гречка или рис?",
    "с чего начать, если хочу научиться рисовать?",
    "предложи три игры для тимбилдинга",
    "чему равен квадратный корень из 1764?",
    "исправь ошибки: они идут в парк завтро и пазвонят",
    "как вежливо отказаться от предложения о работе?",
    "кот дерёт диван, что делать?",
    "перечисли доводы за и против удалёнки",
    "загадай загадку для ребёнка десяти лет",
    "как построить пятиминутное выступление?",
    "притворись на минутку пиратом",
    "каким вообще должен быть надёжный пароль?",
    "помоги составить вегетарианское меню для ужина с гостями",
    "как быстрее запоминать иностранные слова?",
    "уговори меня пойти сегодня в спортзал",
    "что в принципе выгоднее: снимать квартиру или купить?",
    "напиши благодарственную записку учительнице",
]


def _tools_of(intent: str) -> list[str]:
    """The tool names an intent stands for (see the module docstring)."""
    if "." in intent:
        domain, operation = intent.split(".", 1)
        providers, operations = DOMAINS[domain][2], DOMAINS[domain][3]
        if operation not in {suffix for suffix, _, _ in operations}:
            raise ValueError(f"unknown operation {intent!r}")
        return [f"{slug}_{operation}" for slug in providers]
    if intent not in {name for name, *_ in RUSSIAN}:
        raise ValueError(f"unknown tool {intent!r}")
    return [intent]


Requests = list[tuple[str, str]]


def build(
    english: Requests, russian: Requests, unrelated: list[str], russian_unrelated: list[str]
) -> list[dict]:
    """Rows of a labelled set: each request with its intents and the tools they stand for,
    then the unrelated requests (no expected tool), each tagged with its language."""
    rows = []
    for language, requests in (("en", english), ("ru", russian)):
        for intents, request in requests:
            expected = [name for intent in intents.split() for name in _tools_of(intent)]
            rows.append(
                {
                    "query": request,
                    "expected": expected,
                    "intents": intents.split(),
                    "language": language,
                }
            )
    for language, queries in (("en", unrelated), ("ru", russian_unrelated)):
        rows += [{"query": q, "expected": [], "intents": [], "language": language} for q in queries]
    return rows


def write(
    name: str,
    english: Requests,
    russian: Requests,
    unrelated: list[str],
    russian_unrelated: list[str],
) -> None:
    """Write a set's rows to ``name`` beside this file, one JSON object a line."""
    rows = build(english, russian, unrelated, russian_unrelated)
    path = HERE / name
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    labelled = [row for row in rows if row["expected"]]
    print(f"{name}: {len(labelled)} labelled requests, {len(rows) - len(labelled)} unrelated")


def main() -> None:
    write("paraphrase.jsonl", ENGLISH, RUSSIAN_REQUESTS, UNRELATED, RUSSIAN_UNRELATED)


if __name__ == "__main__":
    main()
