"""What a question asks for (a figure, and of which kind), and whether an answer gives it.

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
from server.citations import numbers_in, parse, strip_markers

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


# Two to ten, in order, in each course language: the values a rewrite in another language must not
# change ("the IMO text still lists five" came back from the local model as "... liệt kê bốn", four).
# A "-" is a number whose word is too common to read as one (Vietnamese "năm" is also "year") or is
# a compound the segmenter splits (Khmer six to nine).
_VALUE_WORDS = {
    "en": "two three four five six seven eight nine ten",
    "de": "zwei drei vier fünf sechs sieben acht neun zehn",
    "ms": "dua tiga empat lima enam tujuh lapan sembilan sepuluh",
    "fil": "dalawa tatlo apat lima anim pito walo siyam sampu",
    "vi": "hai ba bốn - sáu bảy tám chín mười",
    "th": "สอง สาม สี่ ห้า หก เจ็ด แปด เก้า สิบ",
    "km": "ពីរ បី បួន ប្រាំ - - - - ដប់",
    "lo": "ສອງ ສາມ ສີ່ ຫ້າ ຫົກ ເຈັດ ແປດ ເກົ້າ ສິບ",
    "zh": "二 三 四 五 六 七 八 九 十",
}
_VALUES = {
    word: str(value)
    for words in _VALUE_WORDS.values()
    for value, word in enumerate(words.split(), start=2)
    if word != "-"
}
_VALUES["delapan"] = "8"  # Indonesian


def figure_values(text: str) -> set[str]:
    """The numbers a text states as values: digit strings, and two to ten written as words."""
    plain = strip_markers(text)
    tokens = lexical_tokens(plain)
    words = {_VALUES[w] for w in tokens if w in _VALUES}
    # A Chinese numeral counts alone or opening a two-character word (jieba keeps 五个, 三天 whole)
    words |= {_VALUES[w[:1]] for w in tokens if len(w) <= 2 and w[:1] in _VALUES}
    return numbers_in(plain) | words


# "p. 5": a page the answer points to (the sources are headed "(title, p. 5)"), not a figure it states.
_PAGE_REFERENCE = re.compile(r"\bpp?\.\s*\d+(?:\s*[-–]\s*\d+)?")


def figures_in(text: str) -> set[str]:
    """The numbers a text states: digit strings (any script) and numbers written as words.

    Page references ("p. 5") are not figures: an answer that only names the page it copied from
    has not given the figure a question asks for.
    """
    plain = _PAGE_REFERENCE.sub(" ", strip_markers(text))
    words = {w for w in lexical_tokens(plain) if w in _NUMBER_WORDS}
    return numbers_in(plain) | words | set(_CHINESE_NUMERALS.findall(plain))


def asks_for_figure(question: str) -> bool:
    """True when the question asks for a number, an amount or a date."""
    return bool(_FIGURE_CUES.search(question))


def states_figure(answer: str, question: str) -> bool:
    """True when the answer states a number the question did not already state."""
    return bool(figures_in(answer) - figures_in(question))


# What kind of figure a question asks for, when its words say so: a year, a share, or an amount of
# money. An answer of the wrong kind ("44 minutes per trip" for a wage, "160 km/h" for a rail share,
# "Level 1" for a year) answers a neighbouring fact the sources hold, not the question: the local
# model, given sources that lack the asked figure, reaches for the nearest figure they have.
# Hand-listed like the cues above; each kind's answer side accepts any way of writing it that the
# course languages use (symbols, codes and words), so a right answer is not refused for its wording.
_KIND_CUES = {
    "year": re.compile(
        r"\b(?:which|what|in what) year\b|哪一年|哪年|\bnăm nào\b|ปีใด|ปีไหน|ปีอะไร|ឆ្នាំណា|ປີໃດ"
        r"|\btahun (?:bila|berapa|apa)\b|\banong taon\b|\bin welchem jahr\b|\bwelches jahr\b",
        re.IGNORECASE,
    ),
    "share": re.compile(
        r"\b(?:what|which) (?:percentage|share|proportion|percent)\b|\bhow many per ?cent\b"
        r"|百分之|百分比|占比|\bphần trăm\b|เปอร์เซ็นต์|ร้อยละ|ភាគរយ|ເປີເຊັນ|ສ່ວນຮ້ອຍ"
        r"|\bperatus\w*|\bpersen\w*|\bporsyento\b|\bbahagdan\b|\w*anteil\w*|\bprozent\w*",
        re.IGNORECASE,
    ),
    "money": re.compile(
        r"\b(?:fees?|fines?|tariffs?|prices?|costs?|budgets?|wages?|salar(?:y|ies)|charges?"
        r"|invest(?:ment|ed)?|dollars?|euros?)\b"
        r"|费用|罚款|收费|价格|成本|预算|工资|薪|投资|多少钱|美元|欧元|万元"
        r"|\bphí\b|\bgiá\b(?! trị)|\btiền\b|\blương\b|\bngân sách\b|\bphạt\b|\bđầu tư\b"
        r"|ค่าธรรมเนียม|ค่าจ้าง|ค่าปรับ|ราคา|ค่าใช้จ่าย|งบประมาณ|เงินเดือน|ค่าบริการ|บาท"
        r"|ថ្លៃ|ពិន័យ|តម្លៃ|ដុល្លារ|ថវិកា|ប្រាក់ខែ"
        r"|ຄ່າບໍລິການ|ຄ່າທຳນຽມ|ລາຄາ|ກີບ|ຄ່າປັບ|ເງິນເດືອນ|ງົບປະມານ|ໂດລາ"
        r"|\b(?:yuran|denda|tarif|harga|kos|bajet|gaji|caj|bayaran|ringgit)\b"
        r"|\b(?:bayad|multa|presyo|badyet|sahod|singil|taripa)\b"
        r"|\w*(?:gebühr|bußgeld|preis|kosten|lohn|gehalt|investition)\w*",
        re.IGNORECASE,
    ),
}
_SHARE_WORDS = re.compile(
    r"%|％|\bper ?cent\b|\bpercentage\b|百分之|一半|分之|\bphần trăm\b|\bnửa\b|เปอร์เซ็นต์|ร้อยละ|ครึ่ง"
    r"|ភាគរយ|ពាក់កណ្តាល|ເປີເຊັນ|ສ່ວນຮ້ອຍ|ເຄິ່ງ|\bperatus\b|\bpersen\b|\bseparuh\b|\bsetengah\b"
    r"|\bporsyento\b|\bkalahati\b|\bprozent\b|\bhälfte\b|\bhalf\b|\bthirds?\b|\bquarters?\b"
    r"|\bdrittel\b|\bviertel\b",
    re.IGNORECASE,
)
# An amount of money is a number next to a currency: a word alone is not one (Vietnamese "đồng"
# is also the "đồng" of "đồng thời", "at the same time"; Chinese 元 is in 单元 "unit").
_CURRENCY = (
    r"(?:USD|US\$|EUR|CNY|RMB|THB|VND|MYR|RM|PHP|KHR|LAK|SGD|IDR|Rp|dollars?|euros?|yuan|baht"
    r"|đồng|đô la|riels?|kip|ringgit|pesos?|piso|rupiah|美元|欧元|元|บาท|រៀល|ដុល្លារ|ກີບ|ໂດລາ)"
)
_SCALE = (
    r"(?:\s*(?:thousand|million|billion|mn|bn|nghìn|ngàn|triệu|tỷ|พัน|หมื่น|แสน|ล้าน|ពាន់|ម៉ឺន|លាន"
    r"|ພັນ|ລ້ານ|ribu|juta|bilion|miliar|libo|milyon|bilyon|tausend|Mio\.?|Millionen|Mrd\.?"
    r"|Milliarden|万|亿|千))?"
)
_MONEY = re.compile(
    rf"[$€£¥₫฿៛₭₱]\s*\d|\d[\d.,]*\s*[$€£¥₫฿៛₭₱]|\b{_CURRENCY}\s*\d|\d[\d.,]*{_SCALE}\s*{_CURRENCY}",
    re.IGNORECASE,
)


def asked_kind(question: str) -> str | None:
    """`year`, `share` or `money` when a figure question says which kind it wants, else None."""
    if not asks_for_figure(question):
        return None
    return next((kind for kind, cue in _KIND_CUES.items() if cue.search(question)), None)


def states_kind(answer: str, question: str, kind: str) -> bool:
    """True when the answer states a figure of the asked kind that the question did not state."""
    new = figures_in(answer) - figures_in(question)
    if kind == "year":  # a calendar year, Gregorian or Buddhist era (Thai and Lao write 2565)
        return any(f.isdigit() and (1800 <= int(f) <= 2100 or 2400 <= int(f) <= 2700) for f in new)
    words = _SHARE_WORDS if kind == "share" else _MONEY
    return bool(new) and bool(words.search(strip_markers(answer)))


def answers_figure(answer: str, question: str) -> bool:
    """False for an answer that leaves a question asking for a figure without one of its kind."""
    if not asks_for_figure(question):
        return True
    kind = asked_kind(question)
    return states_kind(answer, question, kind) if kind else states_figure(answer, question)


# The local model, told to "say that the materials do not cover it", often says so after a sentence
# or two copied from the nearest source ("The STS cranes carry 24 rows across. The materials do not
# cover this specific question."). Verification keeps the copied sentences and drops the admission,
# which turned a refusal into a confident off-topic answer. Each phrase is a statement about what the
# sources hold, in the course languages and in the English the model drifts into; "not" alone is not
# enough ("ships are not allowed"), so each negation is tied to a verb of saying or holding.
_DECLINES = re.compile(
    "|".join(
        [
            r"\b(?:materials?|sources?|documents?|context|texts?|slides?|notes)\b[^.]{0,40}?"
            r"\b(?:do|does|did)(?: not|n't) (?:cover|provide|contain|mention|specify|state|include)\b",
            r"\bnot (?:covered|mentioned|specified|provided|stated) (?:in|by) the\b",
            r"\bno (?:information|mention|details?) (?:about|on|of|regarding)\b",
            r"\bnot in the (?:materials|sources|documents)\b",
            r"\b(?:cannot|can't|unable to) (?:answer|determine|find)\b",
            r"(?:没有|未|並未|并未)(?:提到|提及|涉及|涵盖|提供|说明|相关)|资料中没有|材料中没有",
            r"\bkhông (?:đề cập|có thông tin|cung cấp|nêu|nói)|\bkhông có (?:dữ liệu|nội dung)",
            r"ไม่มีข้อมูล|ไม่ได้ระบุ|ไม่ได้กล่าวถึง|ไม่ครอบคลุม",
            r"មិនមានព័ត៌មាន|មិនបាននិយាយ|មិនបានបញ្ជាក់|គ្មានព័ត៌មាន",
            r"ບໍ່ມີຂໍ້ມູນ|ບໍ່ໄດ້ກ່າວ|ບໍ່ໄດ້ລະບຸ",
            r"\btidak (?:dinyatakan|disebut|menyatakan|meliputi|mengandungi|memberikan maklumat)"
            r"|\btiada (?:maklumat|dalam bahan)",
            r"\bwalang (?:impormasyon|binanggit)|\bhindi (?:binanggit|nabanggit|sinasaklaw)"
            r"|\bwala (?:ito )?sa mga materyales",
            r"\bnicht (?:abgedeckt|erwähnt|angegeben|enthalten)|\bkeine (?:angaben|informationen)"
            r"|\bsteht nichts\b",
        ]
    ),
    re.IGNORECASE,
)


def declines(answer: str, instructions: str = "") -> bool:
    """True when a sentence of the answer that cites no source says the sources do not cover it.

    An admission cites nothing; a sentence with a citation is a claim about a source, which
    verification checks. A sentence of the model's own `instructions` recited back ("If the sources
    do not answer the question, say that the materials do not cover it.") is not an admission.
    """
    return any(
        not claim.cited and claim.text not in instructions and _DECLINES.search(claim.text)
        for claim in parse(answer)
    )
