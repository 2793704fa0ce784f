"""Demo material: a reviewed question bank on the Party Constitution (党章) and a published quiz that
every member of the demo organisation can take. Connected to learning_app.signals.demo_seeded."""
from learning_app.demo import DEMO_COMMITTEE

from .importers import ParsedQuestion, make_options
from .models import ReviewPolicy
from .services import banks, quizzes

DEMO_BANK = "党章基础知识（示范题库）"
DEMO_QUIZ = "党章基础知识测验（示范）"
SOURCE = "依据：《中国共产党章程》"
# (stem, options, answer, explanation): single choice when there are options, else true or false.
QUESTIONS = (
    ("预备党员的预备期为多长时间？", ["六个月", "一年", "二年", "三年"], "B",
     f"{SOURCE}第七条：预备党员的预备期为一年。"),
    ("年满多少岁的先进分子，承认党的纲领和章程，可以申请加入中国共产党？",
     ["十六岁", "十八岁", "二十岁", "二十二岁"], "B",
     f"{SOURCE}第一条：年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，可以申请加入中国共产党。"),
    ("党员如果没有正当理由，连续多长时间不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党？",
     ["三个月", "六个月", "九个月", "一年"], "B",
     f"{SOURCE}第九条：连续六个月不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。"),
    ("党的最高领导机关是什么？",
     ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央军事委员会"], "A",
     f"{SOURCE}第十条：党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。"),
    ("党的全国代表大会每几年举行一次？", ["三年", "四年", "五年", "六年"], "C",
     f"{SOURCE}第十九条：党的全国代表大会每五年举行一次，由中央委员会召集。"),
    ("凡是有正式党员三人以上的基层单位，都应当成立党的基层组织。", None, True,
     f"{SOURCE}第三十条：企业、农村、机关、学校、医院等基层单位，凡是有正式党员三人以上的，都应当成立党的基层组织。"),
    ("预备党员和正式党员一样，享有表决权、选举权和被选举权。", None, False,
     f"{SOURCE}第七条：预备党员的权利，除了没有表决权、选举权和被选举权以外，也同正式党员一样。"),
)


def seed_demo_quiz(sender, accounts, orgs, **extra):
    """The author writes the questions, the reviewer approves them, and the author publishes a quiz
    of them for the whole demo committee: ten minutes long, passed at 60%, taken as often as wished."""
    author, reviewer = accounts["author"], accounts["reviewer"]
    bank = banks.create_bank(author, DEMO_BANK, "示范题库：《中国共产党章程》的基础知识。")
    questions = [banks.add_question(author, bank, _parsed(*question)) for question in QUESTIONS]
    banks.submit_questions(author, questions)
    for question in questions:
        banks.approve_question(reviewer, question)
    quiz = quizzes.create_quiz(author, DEMO_QUIZ, description="学完示范课程后检验学习效果，可多次作答。",
                               org_id=orgs[DEMO_COMMITTEE].id, time_limit_minutes=10, pass_percent=60,
                               review_policy=ReviewPolicy.IMMEDIATELY)
    for question in questions:
        quizzes.add_fixed_question(author, quiz, question)
    quizzes.set_published(author, quiz, True)


def _parsed(stem, options, answer, explanation) -> ParsedQuestion:
    if options is None:
        return ParsedQuestion(line=0, type="true_false", stem=stem, options=[], answer=answer,
                              explanation=explanation, tags=["党章"])
    return ParsedQuestion(line=0, type="single", stem=stem, options=make_options(options), answer=answer,
                          explanation=explanation, tags=["党章"])
