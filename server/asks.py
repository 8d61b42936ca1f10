"""What a question asks for: a figure (how many, how much, which year) or something else.

An answer to "how much does X cost?" that states no figure of its own has not answered it, however
well its sentences are cited: the small local model, given sources about X that lack the price,
restates the question ("X charges a fee for this [1]") or cites a neighbouring fact. Such an answer
is a refusal in disguise, and the asker is better served by "not in the materials" and the closest
documents.

The cues are the interrogatives of the course languages, hand-listed because no library we can
install offline classifies question types in Khmer or Lao; each is anchored so that a word that
merely contains it (Lao ເຄື່ອງຈັກ "machine", Chinese 几乎 "almost") does not count.
"""

from __future__ import annotations

import re

from kb.languages import lexical_tokens
from server.citations import numbers_in, strip_markers

_FIGURE_CUES = re.compile(
    "|".join(
        [
            # English: how many/much/long…, what share/year…, what fine/fee… (an amount or a date)
            r"\bhow (?:many|much|long|far|high|often|old|large|big)\b",
            r"\b(?:what|which) (?:percentage|share|proportion|year|date|number)\b",
            r"\b(?:what|which) (?:\w+ ){0,2}(?:fine|fee|tariff|price|cost|budget|wage|salary|deadline)s?\b",
            r"\bin what year\b",
            # Chinese
            r"多少|几(?!乎)|哪一年|哪年|哪一天|何时|什么时候",
            # Vietnamese
            r"\bbao nhiêu\b|\bmấy\b|\bnăm nào\b|\bngày nào\b|\bkhi nào\b",
            # Thai
            r"กี่|เท่าไร|เท่าไหร่|เท่าใด|ปีใด|ปีไหน|เมื่อไร|เมื่อใด",
            # Khmer
            r"ប៉ុន្មាន|ឆ្នាំណា|ពេលណា|ថ្ងៃណា",
            # Lao (ຈັກ "how many" is not the ຈັກ of ເຄື່ອງຈັກ "machine" or ຈັກກະ…)
            r"(?<!ເຄື່ອງ)ຈັກ(?!ກະ)|ເທົ່າໃດ|ປີໃດ|ເມື່ອໃດ|ວັນໃດ",
            # Malay / Indonesian
            r"\bberapa\w*|\bbilakah\b|\btahun bila\b",
            # Filipino
            r"\bilan\w*|\bmagkano\b|\bkailan\b",
            # German
            r"\bwie (?:viel\w*|hoch|lange|oft|alt|groß)\b|\bwann\b|\bin welchem jahr\b",
            r"\bwelche[smnr]? (?:\w+ )?(?:bußgeld|gebühr|tarif|preis|kosten|frist)\w*\b",
        ]
    ),
    re.IGNORECASE,
)


# Numbers written as words also give a figure ("every two weeks", "三天", "สองสัปดาห์"). Matched
# against whole segmented words, so Thai สามารถ "can" is not สาม "three"; "one" in any language is
# left out, as common as an article ("the only one", 一个). Hand-listed: num2words
# and its kind spell numbers out but do not find them, and none covers Khmer or Lao.
_NUMBER_WORDS_BY_LANGUAGE = {
    "en": "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty sixty hundred thousand million billion once twice half dozen daily weekly fortnight "
    "fortnightly monthly quarterly yearly annually hourly",
    "de": "zwei drei vier fünf sechs sieben acht neun zehn zwölf zwanzig dreißig hundert tausend "
    "million millionen milliarde milliarden zweimal halb täglich wöchentlich monatlich jährlich",
    "ms": "dua tiga empat lima enam tujuh lapan delapan sembilan sepuluh sebelas puluh ratus ribu "
    "juta bilion miliar setengah separuh harian mingguan bulanan tahunan",
    "fil": "dalawa tatlo apat lima anim pito walo siyam sampu daan libo milyon kalahati lingguhan "
    "buwanan taun-taon araw-araw",
    "vi": "hai ba bốn sáu bảy tám chín mười trăm nghìn ngàn triệu tỷ nửa",
    "th": "สอง สาม สี่ ห้า หก เจ็ด แปด เก้า สิบ ยี่สิบ ร้อย พัน หมื่น แสน ล้าน ครึ่ง",
    "km": "ពីរ បី បួន ប្រាំ ដប់ ម្ភៃ រយ ពាន់ ម៉ឺន សែន លាន កន្លះ",
    "lo": "ສອງ ສາມ ສີ່ ຫ້າ ຫົກ ເຈັດ ແປດ ເກົ້າ ສິບ ຊາວ ຮ້ອຍ ພັນ ລ້ານ ເຄິ່ງ",
}
_NUMBER_WORDS = frozenset(w for words in _NUMBER_WORDS_BY_LANGUAGE.values() for w in words.split())
# Chinese numerals inside any word (jieba keeps 三天 whole); 一 is left out as above.
_CHINESE_NUMERALS = re.compile(r"[二两三四五六七八九十百千万亿半]")


def figures_in(text: str) -> set[str]:
    """The numbers a text states: digit strings (any script) and numbers written as words."""
    plain = strip_markers(text)
    words = {w for w in lexical_tokens(plain) if w in _NUMBER_WORDS}
    return numbers_in(plain) | words | set(_CHINESE_NUMERALS.findall(plain))


def asks_for_figure(question: str) -> bool:
    """True when the question asks for a number, an amount or a date."""
    return bool(_FIGURE_CUES.search(question))


def states_figure(answer: str, question: str) -> bool:
    """True when the answer states a number the question did not already state."""
    return bool(figures_in(answer) - figures_in(question))


def answers_figure(answer: str, question: str) -> bool:
    """False only for an answer that leaves a question asking for a figure without one."""
    return not asks_for_figure(question) or states_figure(answer, question)
