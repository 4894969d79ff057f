# ruff: noqa: RUF001 -- Russian sentences on purpose
"""Sentences that stand for a language, for ``retrieval.embedding.LocalEmbedder``'s centring."""

from __future__ import annotations

# Parallel everyday sentences (not about any tool): their mean e5 vector per language is the
# direction that language adds to every vector (see LocalEmbedder).
LANGUAGE_ANCHORS: dict[str, list[str]] = {
    "en": [
        "I will call you back after lunch.",
        "The train was late again this morning.",
        "Could you send me the figures by Friday?",
        "We are out of milk and bread.",
        "Please check whether the door is locked.",
        "The meeting ran longer than planned.",
        "My phone battery is almost empty.",
        "Let's find a table near the window.",
        "The new manager starts next week.",
        "It has been raining since yesterday.",
        "Remind me what we agreed on last time.",
        "The children are playing in the garden.",
        "This report needs a shorter summary.",
        "How much does a ticket cost?",
        "I forgot where I parked the car.",
        "The shop closes at eight in the evening.",
        "Write down the address before you leave.",
        "The price went up by ten percent.",
        "She moved to another city last year.",
        "Turn left after the second traffic light.",
    ],
    "ru": [
        "Я перезвоню тебе после обеда.",
        "Поезд сегодня утром снова опоздал.",
        "Пришлите мне цифры до пятницы, пожалуйста.",
        "У нас закончились молоко и хлеб.",
        "Проверь, пожалуйста, заперта ли дверь.",
        "Совещание затянулось дольше, чем планировали.",
        "У меня почти сел телефон.",
        "Давай сядем за столик у окна.",
        "Новый руководитель выходит на следующей неделе.",
        "Дождь идёт со вчерашнего дня.",
        "Напомни, о чём мы договорились в прошлый раз.",
        "Дети играют в саду.",
        "Этому отчёту нужно краткое резюме покороче.",
        "Сколько стоит билет?",
        "Я забыл, где оставил машину.",
        "Магазин закрывается в восемь вечера.",
        "Запиши адрес, прежде чем уйти.",
        "Цена выросла на десять процентов.",
        "В прошлом году она переехала в другой город.",
        "После второго светофора поверни налево.",
    ],
}
