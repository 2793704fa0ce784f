"""The demo organisation: a believable committee with branches, members and one account per role."""
import random

from sqlalchemy import insert, select

from .audit.services import record_audit
from .extensions import db
from .models import MemberCategory, Organization, OrgKind, PositionLevel, Role, User, utcnow
from .orgs.services import create_org
from .people.services import create_account, grant_role
from .security import new_one_time_password
from .signals import demo_seeded

DEMO_COMMITTEE = "中共江南市直属机关工作委员会"
DEMO_TREE = {
    "市委办公室党总支": ["综合科党支部", "秘书科党支部", "信息科党支部"],
    "教育系统党总支": ["江南第一中学党支部", "实验小学党支部", "职业技术学校党支部", "教育局机关党支部"],
    "卫生健康系统党总支": ["市人民医院党支部", "中医院党支部", "疾控中心党支部"],
    "青山镇党总支": ["青山村党支部", "石桥村党支部", "柳塘村党支部", "镇机关党支部"],
}
# (login id, password, what it shows): printed by `make run` and `seed-demo`.
DEMO_ACCOUNTS = (
    ("admin", "Admin@2026", "管理员 administrator"),
    ("supervisor", "Super@2026", "督学：教育系统党总支 supervisor of a general branch"),
    ("secretary", "Branch@2026", "支部书记：青山村党支部 branch secretary, supervisor of one branch"),
    ("author", "Author@2026", "课程作者 course author"),
    ("reviewer", "Review@2026", "审核员 reviewer"),
    ("member", "Member@2026", "党员：江南第一中学党支部 member"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰海燕文博晓东春梅德胜国庆立新卫东淑珍"
CATEGORY_WEIGHTS = ((MemberCategory.FULL, 78), (MemberCategory.PROBATIONARY, 10), (MemberCategory.ACTIVIST, 12))
MEMBERS_PER_BRANCH = (14, 30)


def _name(rng):
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def seed_demo() -> bool:
    """Create the demo organisation unless it is there; True when something was created."""
    if db.session.scalar(select(Organization.id).where(Organization.name == DEMO_COMMITTEE)):
        return False
    rng = random.Random(2026)
    committee = create_org(None, DEMO_COMMITTEE, OrgKind.COMMITTEE, None)
    branches, general = {}, {}
    for general_name, branch_names in DEMO_TREE.items():
        general[general_name] = create_org(None, general_name, OrgKind.GENERAL_BRANCH, committee)
        for branch_name in branch_names:
            branches[branch_name] = create_org(None, branch_name, OrgKind.BRANCH, general[general_name])
    rows, number = [], 100000
    categories = [c for c, _ in CATEGORY_WEIGHTS]
    weights = [w for _, w in CATEGORY_WEIGHTS]
    for branch in branches.values():
        for index in range(rng.randint(*MEMBERS_PER_BRANCH)):
            number += 1
            _, password_hash = new_one_time_password()
            rows.append({
                "login_id": f"DY{number}", "real_name": _name(rng), "org_id": branch.id,
                "category": rng.choices(categories, weights)[0],
                "position": PositionLevel.SECRETARY if index == 0 else PositionLevel.MEMBER,
                "phone": f"13{rng.randint(0, 999999999):09d}", "password_hash": password_hash,
                "must_change_password": True, "one_time_password_issued_at": utcnow(),
                "is_active_account": True, "created_at": utcnow(),
            })
    db.session.execute(insert(User), rows)
    accounts = _demo_accounts(branches, general)
    record_audit(None, "demo.seed", committee, {"members": len(rows) + len(DEMO_ACCOUNTS)})
    db.session.flush()
    demo_seeded.send(None, accounts=accounts, orgs={**general, **branches, committee.name: committee})
    db.session.flush()
    return True


def _demo_accounts(branches, general):
    passwords = {login: password for login, password, _ in DEMO_ACCOUNTS}
    people = {
        "admin": ("赵明远", branches["综合科党支部"], PositionLevel.CADRE),
        "supervisor": ("钱文静", branches["教育局机关党支部"], PositionLevel.CADRE),
        "secretary": ("孙建国", branches["青山村党支部"], PositionLevel.SECRETARY),
        "author": ("李晓雯", branches["信息科党支部"], PositionLevel.MEMBER),
        "reviewer": ("周德胜", branches["秘书科党支部"], PositionLevel.CADRE),
        "member": ("王小红", branches["江南第一中学党支部"], PositionLevel.MEMBER),
    }
    accounts = {login: create_account(None, login, name, password=passwords[login], org_id=branch.id,
                                      category=MemberCategory.FULL, position=position)
                for login, (name, branch, position) in people.items()}
    grant_role(None, accounts["admin"], Role.ADMIN)
    grant_role(None, accounts["supervisor"], Role.SUPERVISOR, general["教育系统党总支"])
    grant_role(None, accounts["secretary"], Role.SUPERVISOR, branches["青山村党支部"])
    grant_role(None, accounts["author"], Role.AUTHOR)
    grant_role(None, accounts["reviewer"], Role.REVIEWER)
    return accounts
