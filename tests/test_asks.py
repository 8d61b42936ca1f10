"""What a question asks for: figure questions in every course language, and answers that give one."""

from __future__ import annotations

import pytest

from server.asks import answers_figure, asks_for_figure, states_figure

FIGURE_QUESTIONS = [
    "How many TEU did the dry port handle in 2022?",
    "What fine does the port authority impose on a late declaration?",
    "钦州港2022年完成了多少标准箱？",
    "Cảng đã tổ chức bao nhiêu cuộc diễn tập?",
    "ท่าเรือเก็บค่าธรรมเนียมลำละเท่าไร",
    "តើកំពង់ផែពិន័យប៉ុន្មានដុល្លារ?",
    "ຄ່າບໍລິການແມ່ນຈັກກີບຕໍ່ຕູ້?",
    "Berapakah yuran langganan tahunan?",
    "Magkano ang inilaang badyet para sa shore power?",
    "Wie hoch ist der Bahnanteil am Hinterlandverkehr?",
    "Welches Bußgeld verhängt die Hafenbehörde?",
]
OTHER_QUESTIONS = [
    "Which EDIFACT message tells the terminal where each box sits on board?",
    "What is a port community system?",
    "什么是单一窗口？这几乎是所有港口的做法吗",  # 几乎 "almost" is not 几 "how many"
    "ເຄື່ອງຈັກຂອງທ່າເຮືອແມ່ນຫຍັງ?",  # ເຄື່ອງຈັກ "machine" is not ຈັກ "how many"
    "Was ist ein Trockenhafen?",
]


@pytest.mark.parametrize("question", FIGURE_QUESTIONS)
def test_figure_questions_are_recognised_in_every_course_language(question: str) -> None:
    assert asks_for_figure(question)


@pytest.mark.parametrize("question", OTHER_QUESTIONS)
def test_other_questions_are_not_figure_questions(question: str) -> None:
    assert not asks_for_figure(question)


def test_an_answer_gives_a_figure_only_with_a_number_the_question_did_not_state() -> None:
    question = "How many TEU did the dry port handle in 2022?"
    assert not states_figure("The dry port handled containers in 2022 [1].", question)
    assert states_figure("It handled 41,500 TEU in 2022 [1].", question)
    assert not states_figure(
        "Volumes are listed in source [2].", question
    )  # markers are not figures
    assert states_figure("ມັນຮັບ ៤១ ພັນ TEU [1].", question)  # any script's digits count


def test_only_a_figure_question_left_without_a_figure_fails() -> None:
    assert not answers_figure("The authority imposes a fine for this [1].", FIGURE_QUESTIONS[1])
    assert answers_figure("The fine is EUR 5,000 [1].", FIGURE_QUESTIONS[1])
    assert answers_figure("It is the shared data platform of a port [1].", OTHER_QUESTIONS[1])


@pytest.mark.parametrize(
    "answer",
    [
        "Mooring winches are greased every two weeks by the deck crew [1].",
        "Drills are held quarterly [1].",
        "进口重箱平均堆存三天 [1]。",
        "ตู้สินค้าค้างอยู่สองสัปดาห์ [1]",
        "Die Kräne werden zweimal im Jahr geprüft [1].",
    ],
)
def test_numbers_written_as_words_are_figures(answer: str) -> None:
    assert states_figure(answer, "How often is it done, and for how many days?")


def test_words_that_only_contain_a_number_word_are_not_figures() -> None:
    assert not states_figure("ท่าเรือสามารถรองรับเรือได้ [1]", "ท่าเรือรองรับเรือได้กี่ลำ")
    assert not states_figure("这是统一的一个系统 [1]。", "系统处理多少箱？")
