"""Relation completeness, written from the text and independent of the build code (like the figure-completeness test
in tests/test_data.py): every relation the report states between two entities is a triple a query can find in the
built graph (asserted or inferred), and no entity is left without a relation to another entity, unless the text gives
none (the commented list below)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Namespace, URIRef

from kg.config import DEFAULT_BASE_IRI, PROJECT_ROOT

JP = Namespace(DEFAULT_BASE_IRI + "def#")
JPR = Namespace(DEFAULT_BASE_IRI + "id/")
SKOS_BROADER = URIRef("http://www.w3.org/2004/02/skos/core#broader")
SCHEMA_LOCATION = URIRef("https://schema.org/location")
TEXT = (PROJECT_ROOT / "data" / "source" / "jinpu-2021-report.txt").read_text(encoding="utf-8").replace("\n", "")

# (words of the report that state it, subject, property, object), read off the text section by section. The words
# are checked to stand in the report, so the table cannot drift from the text.
EXPECTED = [
    # 核心提示 and the headline
    ("锚定“东北第一强区、全国一流新区”目标", "jinpu", "plans", "plan-jinpu-goal"),
    ("金普新区确立了“经济总量占比大连半壁江山”的目标", "jinpu", "plans", "plan-jinpu-14th-five-year-plan"),
    ("深入贯彻省、大连市党代会精神及决策部署", "jinpu", "implements", "party-congress-decisions"),
    ("省、大连市党代会精神及决策部署", "party-congress-decisions", "concerns", "liaoning-party-congress"),
    ("省、大连市党代会精神及决策部署", "party-congress-decisions", "concerns", "dalian-party-congress"),
    ("为大连市实现3年挺进“万亿GDP城市”目标", "dalian", "plans", "plan-dalian-trillion-gdp-city"),
    ("紧紧围绕国家级新区和自贸试验区发展定位", "jinpu", "hasDesignation", "des-state-level-new-area"),
    ("紧紧围绕国家级新区和自贸试验区发展定位", "award-jinpu-state-level-new-area", "recipient", "jinpu"),
    # 打造现代产业高地
    ("结构调整“三篇大文章”取得明显成效", "jinpu", "implements", "three-major-articles"),
    ("“433+1”现代产业体系加速形成", "jinpu", "developsIndustry", "system-433-1"),
    ("五大主导产业实现产值2848亿元", "jinpu", "developsIndustry", "five-leading-industries"),
    (
        "石油化工、装备制造、电子信息、汽车整车及零部件、生物医药五大主导产业",
        "five-leading-industries",
        "memberIndustry",
        "industry-vehicles-and-parts",
    ),
    ("数字经济加快发展", "jinpu", "developsIndustry", "industry-digital-economy"),
    ("华为超算中心、大商所主数据中心入驻", "huawei-supercomputing-centre", "locatedIn", "jinpu"),
    ("华为超算中心", "huawei", "operates", "huawei-supercomputing-centre"),
    ("大商所主数据中心", "dce", "operates", "dce-main-data-centre"),
    ("大连数谷、特来电等项目全面启动", "proj-dalian-digital-valley", "inIndustry", "industry-digital-economy"),
    ("全国首笔B2B平台数字人民币结算在金普新区诞生", "event-first-b2b-ecny-settlement", "location", "jinpu"),
    ("现代服务业扩能升级", "jinpu", "developsIndustry", "industry-modern-services"),
    ("众益园梦海岸、葡萄酒小镇等项目开工建设", "proj-wine-town", "inIndustry", "industry-modern-services"),
    ("鲅鱼湾集、EX机器人等项目投入运营", "proj-ex-robots", "concerns", "ex-robots"),
    ("东北首个“首贷中心”成立运行", "first-loan-centre", "locatedIn", "jinpu"),
    ("东沟乡村旅游登上央视舞台", "event-donggou-on-cctv", "concerns", "cctv"),
    ("东沟乡村旅游", "donggou", "developsIndustry", "industry-rural-tourism"),
    (
        "现代农业健康发展。新发展设施农业200公顷",
        "industry-facility-agriculture",
        "broader",
        "industry-modern-agriculture",
    ),
    ("蚂蚁岛等5个国家级海洋牧场示范区", "industry-marine-ranching", "broader", "industry-modern-agriculture"),
    ("蚂蚁岛等5个国家级海洋牧场示范区", "mayi-island-marine-ranch", "inIndustry", "industry-marine-ranching"),
    (
        "金普新区获批国家农业现代化示范区",
        "jinpu",
        "hasDesignation",
        "designation-national-agricultural-modernization-zone",
    ),
    ("金普新区精心谋划“四湾十四园”产业发", "jinpu", "plans", "layout-four-bays-fourteen-parks"),
    (
        "“链”式布局金州产业新园、氢能产业园、智能制造装备产业园等14个特色园区",
        "hydrogen-energy-industrial-park",
        "partOfLayout",
        "layout-four-bays-fourteen-parks",
    ),
    ("氢能产业园", "hydrogen-energy-industrial-park", "inIndustry", "industry-hydrogen-energy"),
    ("围绕智能装备制造、汽车、集成电路3条产业链", "jinpu", "developsIndustry", "chain-integrated-circuit"),
    ("围绕智能装备制造、汽车、集成电路3条产业链", "jinpu", "developsIndustry", "chain-automobile"),
    (
        "围绕智能装备制造、汽车、集成电路3条产业链",
        "jinpu",
        "developsIndustry",
        "chain-intelligent-equipment-manufacturing",
    ),
    ("新区管委会主要领导担任重点产业链“链长”", "jinpu-admin-committee", "operates", "chain-chief"),
    ("金普新区汽车零部件产业规模已居全国第二位", "industry-auto-parts", "broader", "industry-vehicles-and-parts"),
    ("金普新区汽车零部件产业", "jinpu", "developsIndustry", "industry-auto-parts"),
    ("2021年被授予“优秀汽车零部件制造基地”称号", "jinpu", "hasDesignation", "designation-excellent-auto-parts-base"),
    ("SK海力士收购英特尔项目获批", "sk-hynix", "acquires", "proj-intel"),
    ("SK海力士收购英特尔项目获批", "acquisition-sk-hynix-intel-project", "seller", "intel"),
    ("SK海力士收购英特尔项目获批", "proj-intel", "concerns", "intel"),
    ("金普新区将迎来集成电路产业发展重大机遇", "proj-intel", "inIndustry", "industry-integrated-circuits"),
    ("克诺尔新工厂", "knorr-bremse", "operates", "proj-knorr-bremse-new-plant"),
    ("冰山林德加氢设备", "proj-bingshan-linde-hydrogen-equipment", "inIndustry", "industry-hydrogen-energy"),
    ("冰山林德加氢设备", "proj-bingshan-linde-hydrogen-equipment", "concerns", "bingshan-linde"),
    ("利勃海尔、特来电充电网等232个项目开工落地", "proj-liebherr", "concerns", "liebherr"),
    ("特来电充电网", "teld", "operates", "proj-teld-charging-network"),
    (
        "东方雨虹绿色建材项目",
        "proj-oriental-yuhong-green-building-materials",
        "inIndustry",
        "industry-green-building-materials",
    ),
    (
        "东方雨虹绿色建材项目等206个项目签约",
        "proj-oriental-yuhong-green-building-materials",
        "concerns",
        "oriental-yuhong",
    ),
    ("储备京东方（东北）创新中心", "proj-boe-northeast-innovation-centre", "concerns", "boe"),
    (
        "达利凯普射频微波电容获批国家制造业单项冠军产品",
        "dalicap-rf-microwave-capacitors",
        "hasDesignation",
        "designation-national-single-champion-product",
    ),
    ("达利凯普射频微波电容", "dalicap", "produces", "dalicap-rf-microwave-capacitors"),
    (
        "获评“辽宁省促进工业稳增长和转型升级成效明显区”",
        "jinpu",
        "hasDesignation",
        "designation-liaoning-industrial-growth-district",
    ),
    ("获批国家级“建材外贸转型基地”", "jinpu", "hasDesignation", "designation-building-materials-trade-base"),
    (
        "大连经济技术开发区跻身“亚洲开发区（园区）投资价值百强榜”",
        "detdz",
        "hasDesignation",
        "designation-asia-development-zone-top-100",
    ),
    ("获批国家级“建材外贸转型基地”和“加工贸易产业园”。大连经济技术开发区跻身", "detdz", "locatedIn", "jinpu"),
    # 打造科技创新高地
    ("东风日产自动化生产线", "dongfeng-nissan", "operates", "dongfeng-nissan-production-line"),
    ("加快建设东北亚科技创新创业创投中心", "jinpu", "establishes", "northeast-asia-innovation-hub"),
    ("以“辽宁领先、东北争先、全国创先”目标", "jinpu", "plans", "plan-innovation-lead-goal"),
    ("建设成为“东北亚科技创新高地”的目标渐行渐近", "jinpu", "plans", "plan-northeast-asia-innovation-highland"),
    (
        "建设成为“东北亚科技创新高地”的目标渐行渐近",
        "plan-northeast-asia-innovation-highland",
        "concerns",
        "northeast-asia",
    ),
    (
        "金普新区依托全国水下机器人大赛建设国内首个海洋智能装备评测与试验基地",
        "jinpu",
        "establishes",
        "marine-equipment-test-base",
    ),
    ("依托全国水下机器人大赛建设", "marine-equipment-test-base", "basedOn", "national-underwater-robot-contest"),
    ("海洋智能装备评测与试验基地", "marine-equipment-test-base", "inIndustry", "industry-marine-intelligent-equipment"),
    ("联合大连理工大学组建大连市大数据产业发展研究院", "jinpu", "establishes", "dalian-big-data-institute"),
    ("联合大连理工大学组建大连市大数据产业发展研究院", "dut", "establishes", "dalian-big-data-institute"),
    ("联合大连理工大学组建大连市大数据产业发展研究院", "jinpu", "cooperatesWith", "dut"),
    ("大连市大数据产业发展研究院", "dalian-big-data-institute", "inIndustry", "industry-big-data"),
    ("大连市大数据产业发展研究院", "dalian-big-data-institute", "locatedIn", "dalian"),
    ("大连市大数据产业发展研究院", "dalian", "developsIndustry", "industry-big-data"),
    (
        "东北特钢、光洋科技等15个工业互联网应用场景基本建成",
        "dongbei-special-steel",
        "operates",
        "iiot-scenario-dongbei-special-steel",
    ),
    ("工业互联网应用场景", "iiot-scenario-guangyang", "inIndustry", "industry-industrial-internet"),
    (
        "冰山集团获评首批省级重点工业互联网培育平台",
        "bingshan-group",
        "hasDesignation",
        "des-provincial-key-iiot-platform",
    ),
    ("获批国务院第三批双创示范基地", "award-mass-innovation-demo-base", "grantedBy", "state-council"),
    ("金普新区建立科小、雏鹰、高企、瞪羚、独角兽等梯度培育体系", "jinpu", "establishes", "tiered-cultivation-system"),
    ("实施“种苗”计划", "jinpu", "implements", "seedling-programme"),
    ("持续实施高新企业倍增计划", "jinpu", "implements", "high-tech-doubling-programme"),
    ("东北第一“专精特新”孵化区运作起步", "srdi-incubation-zone", "locatedIn", "jinpu"),
    ("组建“瞪羚独角兽加速营”", "jinpu", "establishes", "gazelle-unicorn-accelerator"),
    ("搭建瞪羚企业档案库和定期交流机制", "jinpu", "establishes", "gazelle-enterprise-archive"),
    ("搭建瞪羚企业档案库和定期交流机制", "jinpu", "establishes", "gazelle-exchange-mechanism"),
    ("建设大连市技术交易中心", "jinpu", "establishes", "dalian-tech-trading-centre"),
    ("成立科技企业孵化器联盟", "jinpu", "establishes", "incubator-alliance"),
    ("实施金普工匠、金普学者等人才工程", "jinpu", "implements", "jinpu-craftsman-programme"),
    ("实施金普工匠、金普学者等人才工程", "jinpu", "implements", "jinpu-scholar-programme"),
    # 对外开放
    ("紧紧围绕国家级新区和自贸试验区发展定位", "dalian-ftz-area", "locatedIn", "jinpu"),
    ("金普新区积极打造对外开放新平台，持续深耕东北亚经贸合作", "jinpu", "cooperatesWith", "northeast-asia"),
    (
        "辽宁自贸试验区大连片区贸易便利化改革不断深化，2021年首创进口货物目的地检查“云眼查”",
        "dalian-ftz-area",
        "launches",
        "cloud-eye-inspection",
    ),
    (
        "大连国际能源交易中心正式成立，全年交易量突破1000亿元",
        "dalian-international-energy-exchange",
        "locatedIn",
        "jinpu",
    ),
    (
        "辽宁自贸试验区大连片区贸易便利化改革不断深化",
        "sea-rail-intermodal-transport",
        "concerns",
        "dalian-ftz-area",
    ),
    (
        "辽宁自贸试验区大连片区贸易便利化改革不断深化",
        "train-liner-multimodal-transport",
        "concerns",
        "dalian-ftz-area",
    ),
    ("辽宁自贸试验区大连片区贸易便利化改革不断深化", "china-europe-rail-new-corridor", "concerns", "dalian-ftz-area"),
    ("验收结果正式获海关总署批复通过", "award-bonded-zone-acceptance", "approvedBy", "gacc"),
    ("“双综保区”成为推动外贸高质量发展的“双引擎”", "dayaowan-bonded-zone", "locatedIn", "jinpu"),
    ("“双综保区”成为推动外贸高质量发展的“双引擎”", "dalian-wanli-bonded-zone", "locatedIn", "jinpu"),
    ("规划建设的新日本工业团地", "new-japan-industrial-park", "locatedIn", "jinpu"),
    (
        "日本电产工业园、藤洋钢材大连新工厂等重大日资项目纷纷签约入驻",
        "nidec-industrial-park",
        "locatedIn",
        "new-japan-industrial-park",
    ),
    ("重大日资项目", "nidec", "country", "japan"),
    ("作为大连市的“一号项目”，中日生态示", "sino-japan-eco-city", "hasDesignation", "des-dalian-project-no-1"),
    ("作为大连市的“一号项目”，中日生态示", "sino-japan-eco-city", "locatedIn", "jinpu"),
    ("THK辽宁等项目建设有序推进", "thk-liaoning", "concerns", "thk"),
    ("成功举办中韩工业自动化设备对接洽谈会", "jinpu", "hosts", "china-korea-automation-fair"),
    ("坚持以“飞地经济”带动产业转型升级", "jinpu", "implements", "enclave-economy"),
    (
        "金普新区代表大连市顺利通过国家沪连合作验收",
        "jinpu",
        "hasDesignation",
        "des-shanghai-dalian-cooperation-acceptance",
    ),
    ("与上海市黄浦区签订战略合作协议", "jinpu", "cooperatesWith", "huangpu-district"),
    ("与沈阳市辽中区、浑南区签订合作协议", "hunnan-district", "cooperatesWith", "jinpu"),
    ("正式加入长三角“信易游”朋友圈", "jinpu", "joins", "yrd-xinyiyou-circle"),
    ("在今年金普新区的工作清单上", "jinpu", "plans", "work-list-2022"),
    ("推动泰星能源三期项目落地", "jinpu", "plans", "pa-2022-taixing-phase-3"),
    ("推动泰星能源三期项目落地", "taixing-energy-phase-3", "concerns", "taixing-energy"),
    ("打造韩国数字信息产业园区", "jinpu", "plans", "korea-digital-information-park"),
    ("与浦东新区的对口合作", "jinpu", "cooperatesWith", "pudong-new-area"),
    # 宜居宜业
    ("河湖管理工作分别获得国务院和省", "award-river-lake-province", "grantedBy", "liaoning-provincial-government"),
    ("小窑湾金牌教育园", "xiaoyaowan-golden-education-park", "locatedIn", "jinpu"),
    ("在大连市率先推行婴幼儿托幼一体化试点", "jinpu", "implements", "infant-childcare-integration-pilot"),
    ("“金普社区通平台”上线运行", "jinpu-community-platform", "locatedIn", "jinpu"),
    # 金普快讯
    ("金普新区通过政策激励导向、“带土移植”等多种方式", "jinpu", "implements", "whole-team-transplant"),
    ("推出集聚人才十项重点政策", "jinpu", "launches", "talent-ten-key-policies"),
    ("依托本地26个“鸿雁联盟”人才工作站(点)", "jinpu", "uses", "hongyan-talent-stations"),
    ("“鸿雁联盟”人才工作站(点)", "hongyan-alliance", "operates", "hongyan-talent-stations"),
    ("积极开展高层次人才创新创业大赛、大学生创业大赛等赛事", "jinpu", "hosts", "high-level-talent-contest"),
    (
        "积极开展高层次人才创新创业大赛、大学生创业大赛等赛事",
        "jinpu",
        "hosts",
        "college-student-entrepreneurship-contest",
    ),
    (
        "发挥异地研发中心、离岸创新中心、产业研究院、企业博士后科研工作站等平台作用",
        "jinpu",
        "uses",
        "offshore-innovation-centres",
    ),
    ("赴北京、上海、深圳等地开展招才引智活动", "talent-recruitment-trips", "locatedIn", "shenzhen"),
    ("赴北京、上海、深圳等地开展招才引智活动", "jinpu", "hosts", "talent-recruitment-trips"),
    ("吸引东北“老乡”来新区发展", "talent-recruitment-trips", "concerns", "northeast-china"),
    (
        "辽宁自贸试验区大连片区推出知识产权“管家式”全链条全天候服务新机制",
        "dalian-ftz-area",
        "launches",
        "ip-butler-service-mechanism",
    ),
    ("在生态环境部主办的2021年美丽海湾优秀案例评选中", "mee", "hosts", "beautiful-bay-selection-2021"),
    (
        "大连金石滩湾在多轮严格筛选中脱颖而出，入选全国首批8个美丽海湾优秀案例",
        "jinshitan-bay",
        "hasDesignation",
        "des-beautiful-bay-case",
    ),
    ("同时入选首批美丽海湾优秀案例的还有青岛灵山湾", "lingshan-bay", "locatedIn", "qingdao"),
    ("位于东部半岛的地质公园", "jinshitan-geopark", "locatedIn", "jinshitan-bay"),
    ("拥有玫瑰园、恐龙园、南秀园、鳌滩等近百处景点", "jinshitan-aotan", "locatedIn", "jinshitan-geopark"),
    ("是原国家海洋局评定的16个“健康型”浴场之一", "award-healthy-bathing-beach-golden-coast", "grantedBy", "soa"),
    ("金普智慧人社服务平台正式上线", "jinpu-smart-hrss-platform", "locatedIn", "jinpu"),
    ("市民可以通过手机微信客户端", "jinpu-smart-hrss-platform", "uses", "wechat"),
    (
        "与就业和社保中心智慧服务大厅进行智能化设备连接",
        "jinpu-smart-hrss-platform",
        "concerns",
        "employment-social-security-smart-hall",
    ),
    (
        "就业和社保中心智慧服务大厅",
        "employment-social-security-centre",
        "operates",
        "employment-social-security-smart-hall",
    ),
]

# Relations a reader might read into the text but the text does not state: (why not, subject, property, object). Each
# must be absent from the built graph (asserted or inferred).
NOT_STATED = [
    ("特来电充电网 names the network's operator, not an investor", "teld", "investsIn", "proj-teld-charging-network"),
    (
        "克诺尔新工厂 is the company's plant; no one's investment is stated",
        "knorr-bremse",
        "investsIn",
        "proj-knorr-bremse-new-plant",
    ),
    (
        "冰山林德加氢设备: the company's name before the equipment's",
        "bingshan-linde",
        "investsIn",
        "proj-bingshan-linde-hydrogen-equipment",
    ),
    (
        "东方雨虹绿色建材项目 is only a project name",
        "oriental-yuhong",
        "investsIn",
        "proj-oriental-yuhong-green-building-materials",
    ),
    ("英特尔项目 is only a project name; Intel is the seller", "intel", "investsIn", "proj-intel"),
    ("THK辽宁 is only a project name", "thk", "investsIn", "thk-liaoning"),
    ("储备京东方（东北）创新中心: a reserve project", "boe", "investsIn", "proj-boe-northeast-innovation-centre"),
    (
        "创新推出 after a clause with its own subject names no agent",
        "dalian-ftz-area",
        "launches",
        "sea-rail-intermodal-transport",
    ),
    ("开通中欧班列新通道 names no agent", "dalian-ftz-area", "launches", "china-europe-rail-new-corridor"),
    ("金普智慧人社服务平台正式上线 names no launcher", "jinpu", "launches", "jinpu-smart-hrss-platform"),
    ("“金普社区通平台”上线运行 names no launcher", "jinpu", "launches", "jinpu-community-platform"),
    (
        "东风日产自动化生产线。 is a caption that gives no place",
        "dongfeng-nissan-production-line",
        "locatedIn",
        "jinpu",
    ),
    (
        "建设……海洋智能装备评测与试验基地 is the base's field",
        "jinpu",
        "developsIndustry",
        "industry-marine-intelligent-equipment",
    ),
    (
        "the award is the product's (达利凯普射频微波电容获批……)",
        "dalicap",
        "hasDesignation",
        "designation-national-single-champion-product",
    ),
]

PROPERTY = {"plans": None, "broader": SKOS_BROADER, "location": SCHEMA_LOCATION}

# Entities the text relates to no other entity (beyond type, label and provenance; a figure's refArea or about does
# not count), each with the reason.
NO_RELATION = {
    "xi-jinping": "named only as the author of the instructions the district keeps in mind (no entity for them)",
    "piao-feng": "photo credit for the page's pictures, none of which the text ties to an entity",
    "liu-zhaolong": "photo credit; the text does not say which picture",
    "lu-li": "the reporter; her news items are passages (prov:wasAttributedTo), not entities",
    "independent-innovation-zone": "the text says the district means to lead 自创区's development, not which zone it is "
    "or that the district lies in it",
    "northern-smart-port": "a signed project agreement whose parties and place the text does not give",
    "lucid-waters-concept": "a development idea Jinshitan Bay is said to exemplify; the ontology has no 'exemplifies'",
    "des-campus-football-school": "held by the district's schools, which the text does not name (only a rank figure)",
    "des-campus-football-kindergarten": "held by the district's kindergartens, which the text does not name",
}

ENTITY_CLASSES = (
    "Place",
    "Product",
    "Organization",
    "Platform",
    "Event",
    "Program",
    "Project",
    "Industry",
    "IndustryGroup",
    "Layout",
    "Designation",
    "Person",
    "Plan",
    "PlannedAction",
    "Relation",
)
NOT_RELATIONS = {
    RDF.type,
    URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
    URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),
    URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"),
    URIRef("http://www.w3.org/ns/prov#wasAttributedTo"),
}


@pytest.fixture(scope="module")
def graph(built: Path) -> Dataset:
    ds = Dataset(default_union=True)
    ds.parse(built / "dataset.nq", format="nquads")
    return ds


def has(graph: Dataset, s: URIRef, prop: str, o: URIRef) -> bool:
    if prop == "plans":  # the agent whose plan it is: jp:plannedBy from the plan's side
        return (o, JP.plannedBy, s) in graph
    return (s, PROPERTY.get(prop) or JP[prop], o) in graph


@pytest.mark.parametrize(("words", "subject", "prop", "obj"), EXPECTED, ids=[f"{s}-{p}-{o}" for _, s, p, o in EXPECTED])
def test_stated_relation_is_a_triple(graph: Dataset, words: str, subject: str, prop: str, obj: str) -> None:
    assert words in TEXT, f"the table quotes words the report does not have: {words!r}"
    assert has(graph, JPR[subject], prop, JPR[obj]), f"{subject} {prop} {obj} ({words})"


@pytest.mark.parametrize(
    ("why", "subject", "prop", "obj"), NOT_STATED, ids=[f"{s}-{p}-{o}" for _, s, p, o in NOT_STATED]
)
def test_relation_the_text_does_not_state_is_absent(
    graph: Dataset, why: str, subject: str, prop: str, obj: str
) -> None:
    assert not has(graph, JPR[subject], prop, JPR[obj]), f"{subject} {prop} {obj}: {why}"


def test_every_entity_has_a_relation_to_another_entity(graph: Dataset) -> None:
    entities = {s for c in ENTITY_CLASSES for s in graph.subjects(RDF.type, JP[c]) if str(s).startswith(JPR)}
    figure_like = {s for c in ("Observation", "Indicator", "Passage") for s in graph.subjects(RDF.type, JP[c])}
    lonely = []
    for e in sorted(entities):
        linked = any(o in entities and o != e and p not in NOT_RELATIONS for p, o in graph.predicate_objects(e)) or any(
            s in entities and s != e and s not in figure_like and p not in NOT_RELATIONS
            for s, p in graph.subject_predicates(e)
        )
        name = e.removeprefix(str(JPR))
        if not linked and name not in NO_RELATION:
            lonely.append(name)
        if linked and name in NO_RELATION:
            lonely.append(f"{name} has a relation now: take it off NO_RELATION")
    assert not lonely, "entities with no relation to another entity:\n" + "\n".join(lonely)
