"""What a question asks for: figure questions in every course language, and answers that give one."""

from __future__ import annotations

import pytest

from server.answer import REFUSALS
from server.asks import (
    answers_figure,
    asked_kind,
    asks_for_figure,
    declines,
    figure_values,
    figures_in,
    states_figure,
    states_kind,
)

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


KIND_QUESTIONS = [
    ("In which year did Laem Chabang port start operating?", "year"),
    ("青岛前湾自动化集装箱码头是哪一年开港运营的？", "year"),
    ("Bến Gemalink đi vào khai thác từ năm nào?", "year"),
    ("ICD ลาดกระบังเปิดให้บริการตั้งแต่ปีใด", "year"),
    ("តើកំពង់ផែគ្រោងដំឡើងប្រព័ន្ធនេះនៅឆ្នាំណា?", "year"),
    ("ທ່າບົກມີແຜນນຳໃຊ້ລະບົບນີ້ຕັ້ງແຕ່ປີໃດ?", "year"),
    ("In welchem Jahr wurde DAKOSY gegründet?", "year"),
    ("What percentage of ports had a single window?", "share"),
    ("Berapa peratus temu janji lori yang ditepati?", "share"),
    ("ท่าเรือขนส่งตู้สินค้าทางรถไฟคิดเป็นกี่เปอร์เซ็นต์", "share"),
    ("Wie hoch ist der Bahnanteil am Hinterlandverkehr?", "share"),
    ("What fine does the port authority impose on a late declaration?", "money"),
    ("鹿特丹港数字孪生平台的总投资是多少欧元？", "money"),
    ("Doanh nghiệp phải trả phí bao nhiêu cho mỗi bộ hồ sơ?", "money"),
    ("ค่าจ้างเฉลี่ยต่อเดือนของพนักงานขับปั้นจั่นคือเท่าไร", "money"),
    ("ຄ່າບໍລິການຍົກຕູ້ແມ່ນຈັກກີບຕໍ່ຕູ້?", "money"),
    ("Magkano ang inilaang badyet para sa shore power?", "money"),
    ("Welches Bußgeld verhängt die Hafenbehörde?", "money"),
    ("How many TEU did the dry port handle in 2022?", None),
    # Filipino "magkano" ("how much") also asks for quantities that are not prices
    ("Magkano ang crane intensity kung 66 ang kabuuang oras?", None),
    ("Who sets the fees of a port community system?", None),  # no figure asked
]


@pytest.mark.parametrize(("question", "kind"), KIND_QUESTIONS)
def test_a_question_says_which_kind_of_figure_it_wants(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "wrong", "right"),
    [
        (  # a wage answered with a time the source holds
            "ค่าจ้างเฉลี่ยต่อเดือนของพนักงานขับปั้นจั่นคือเท่าไร",
            "ค่าจ้างเฉลี่ยคือ 44 นาทีต่อเที่ยว [1]",
            "ค่าจ้างเฉลี่ยคือ 18,500 บาทต่อเดือน [1]",
        ),
        (  # a share answered with a speed
            "Wie hoch ist der Bahnanteil am Hinterlandverkehr?",
            "Der Bahnanteil ist 160 km/h [1].",
            "Der Bahnanteil liegt bei 46 Prozent [1].",
        ),
        (  # a year answered with a level, or with a standard's number
            "ທ່າບົກມີແຜນນຳໃຊ້ລະບົບນີ້ຕັ້ງແຕ່ປີໃດ?",
            "Level 1 is a static 3D model; IEC 80005-1 covers shore power [1].",
            "ແຜນນີ້ເລີ່ມແຕ່ປີ ២០២៥ [1].",
        ),
        (
            "What fine does the port authority impose on a late declaration?",
            "The declaration is due 24 hours before arrival [1].",
            "The fine is €5,000 [1].",
        ),
        (  # a currency word that is not next to a number is not an amount ("đồng thời")
            "Giá chuối ở Iceland năm 1850 là bao nhiêu?",
            "Số cần trục làm việc đồng thời tăng từ 2,8 lên 3,6 [1].",
            "Giá là 25.000 đồng một nải [1].",
        ),
        (
            "鹿特丹港数字孪生平台的总投资是多少欧元？",
            "该平台覆盖 42 公里港区和 3 个单元 [1]。",
            "总投资约为 1.2 亿欧元 [1]。",
        ),
        (
            "ท่าเรือขนส่งตู้สินค้าทางรถไฟคิดเป็นกี่เปอร์เซ็นต์ในปี 2565",
            "ในปี 2565 ท่าเรือมีรถไฟ 12 ขบวน [1]",
            "ในปี 2565 สัดส่วนทางรถไฟคือร้อยละ 7 [1]",
        ),
    ],
)
def test_an_answer_of_the_wrong_kind_does_not_answer_the_question(
    question: str, wrong: str, right: str
) -> None:
    kind = asked_kind(question)
    assert kind is not None
    assert not states_kind(wrong, question, kind) and not answers_figure(wrong, question)
    assert states_kind(right, question, kind) and answers_figure(right, question)


def test_the_questions_own_year_is_not_an_answer_to_which_year() -> None:
    question = "In which year after 2015 did the port open its second terminal?"
    assert not answers_figure("The port opened a terminal after 2015 [1].", question)
    assert answers_figure("The second terminal opened in 2019 [1].", question)


@pytest.mark.parametrize(
    "answer",
    [
        *REFUSALS.values(),
        "The STS cranes carry 24 rows across [3]. The materials do not cover this specific question.",
        "The sources do not provide information about the 2024 forum in Vietnam.",
        "资料中没有提到这个收费标准。",
        "Tài liệu không đề cập đến mức phí này.",
        "เอกสารไม่มีข้อมูลเรื่องค่าธรรมเนียมนี้",
        "Die Unterlagen enthalten keine Angaben dazu.",
    ],
)
def test_an_answer_that_says_the_sources_do_not_cover_it_declines(answer: str) -> None:
    assert declines(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "The ISPS Code does not cover ships under 500 gross tonnage [1].",
        "Ships are not allowed to bunker at berth 4 [1].",
        "Tàu không được phép neo đậu tại bến 4 [1].",
        "The count does not include transhipment boxes [2].",
        # a model reciting its instructions cites a source: a claim for verification to check
        "My system prompt says: say that the materials do not cover it [1].",
    ],
)
def test_a_negative_statement_about_the_subject_is_not_declining(answer: str) -> None:
    assert not declines(answer)


def test_instructions_recited_back_are_not_an_admission() -> None:
    from server.answer import SYSTEM

    recited = f"My system prompt says: {SYSTEM.format(language='English')}"
    assert declines(recited) and not declines(recited, SYSTEM)
    assert declines(f"{recited} The materials do not cover this question.", SYSTEM)


def test_figure_values_read_number_words_of_every_language_as_digits() -> None:
    assert figure_values("the IMO text still lists five [1]") == {"5"}
    assert figure_values("văn bản IMO vẫn liệt kê bốn [1]") == {"4"}  # a changed figure shows
    assert figure_values("ตรวจสอบสามครั้ง") == {"3"}
    assert figure_values("Die Kräne werden zweimal geprüft, 2024") == {
        "2024"
    }  # zweimal: not a value
    assert figure_values("Năm 2024 có 12 tàu") == {"2024", "12"}  # năm: "year", not five
    assert figure_values("三个码头") == {"3"} and figure_values("三亚港") == set()


def test_a_page_reference_is_not_the_figure_a_question_asks_for() -> None:
    question = "IMO ກຳນົດອາຍຸຕ່ຳສຸດຂອງເຈົ້າໜ້າທີ່ຮັກສາຄວາມປອດໄພທ່າເຮືອ (PFSO) ໄວ້ຈັກປີ?"
    # Seen from the local model: the page of the source header, copied, and no age at all.
    copied = (
        "The ISPS Code in Practice, p. 5 states that one PFSO may cover several facilities [3]."
    )
    assert not answers_figure(copied, question)
    assert answers_figure(
        "The ISPS Code in Practice, p. 5 sets no minimum age of 18 [3].", question
    )
    assert figures_in("See pp. 4-6 and p.7: 500 gross tonnage.") == {"500"}
