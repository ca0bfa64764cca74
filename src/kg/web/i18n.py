"""The two languages of the UI: which one a request wants, and the interface strings in Chinese.

The language comes from ?lang= (which also sets the cookie, so the choice persists), then the `lang` cookie, then
Accept-Language; English when nothing says otherwise. Interface strings are written in English in the templates and
looked up here for Chinese.
"""

from __future__ import annotations

from flask import Request
from markupsafe import Markup

LANGS = ("en", "zh")
COOKIE = "lang"


def choose(request: Request) -> tuple[str, bool]:
    """(language, whether ?lang= asked to remember it)."""
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked, True
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGS:
        return cookie, False
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-TW"], default="en")
    return ("zh" if best.startswith("zh") else "en"), False


def other(lang: str) -> str:
    return "zh" if lang == "en" else "en"


# Longer texts, named once so that the template and the table use the same key.
HOME_LEDE = (
    "Every figure, entity and relation of a Chinese newspaper report on Dalian Jinpu New District's 2021 "
    "results, in Chinese and English, each traceable to its verbatim quote in the report. Browse it, search "
    "it, query it with SPARQL, download it as RDF."
)
HOME_PROVENANCE = (
    "The data come from {report} (January 2022). Every number in it is an observation (RDF Data Cube); "
    "every entity, figure and relation points with <code>prov:wasDerivedFrom</code> to a verbatim "
    "passage of the report, with its character offsets: {passages} passages, {figures} figures. "
    "The build validates the data with SHACL and adds OWL 2 RL inferences, which the pages mark as "
    "inferred."
)
# The name of each interface language, in itself (the language switch shows the other one).
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
# The value of <html lang> per interface language.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}

ZH: dict[str, str] = {
    "Jinpu KG": "金普新区知识图谱",
    "Home": "首页",
    "Classes": "类",
    "Search": "搜索",
    "Query": "查询",
    "Report": "原文",
    "Ontology": "本体",
    "Downloads": "下载",
    "Validation": "校验报告",
    "Search labels in Chinese or English": "按中文或英文名称搜索",
    "Search labels": "搜索名称",
    "Language": "语言",
    "中文": "中文",
    "English": "English",
    "Switch language": "切换语言",
    "Data: CC BY 4.0. Every fact links to its verbatim source quote.": "数据采用 CC BY 4.0 许可。每条事实都链接到原文引文。",
    "Machine-readable": "机器可读",
    "Turtle": "Turtle",
    "JSON-LD": "JSON-LD",
    "N-Triples": "N-Triples",
    "RDF/XML": "RDF/XML",
    "IRI": "IRI",
    "Copy": "复制",
    "Types": "类型",
    "inferred": "推理",
    "Inferred by OWL 2 RL reasoning over the ontology": "由本体经 OWL 2 RL 推理得出",
    "Statements": "陈述",
    "Property": "属性",
    "Value": "值",
    "Values": "值",
    "Referenced by": "被引用",
    "Sources in the report": "报道原文出处",
    "Source": "出处",
    "Read in the report": "在原文中查看",
    "Figures": "数字",
    "Figure": "数字",
    "Indicator": "指标",
    "Area": "地区",
    "Period": "时期",
    "Kind": "类型",
    "Growth": "增长",
    "Share": "占比",
    "growth multiple": "增长倍数",
    "{words}; the report says {as_written}": "{words}；原文：{as_written}",
    "the report says {as_written}": "原文：{as_written}",
    "How to read 增长N倍": "“增长N倍”的读法",
    "note": "说明",
    "Qualifier": "数值限定",
    "The report's words for this figure: the passages below, in the report's order (… where words are left out).": "该数字的原文：下列段落按原文顺序连接（“…”表示略去的文字）。",
    "planned": "计划",
    "as of": "截至",
    "Normalized": "规范化数值",
    "Year-on-year growth": "同比增长",
    "Chart": "图表",
    "Query that lists it": "列出它的 SPARQL 查询",
    "Also known as": "又称",
    "Section": "栏目",
    "Characters": "字符位置",
    "Quote": "引文",
    "What this passage produced": "由此段原文得出",
    "and {n} more": "另有 {n} 项",
    "Show all": "全部显示",
    "Not found": "未找到",
    "Bad request": "请求有误",
    "Not acceptable": "无法提供所需格式",
    "Nothing here has that name.": "没有这个名称的条目。",
    "Go to the home page": "返回首页",
    "or search": "或搜索",
    "Members": "成员",
    "members": "个成员",
    "Subclass of": "上位类",
    "Subclasses": "下位类",
    "Definition": "定义",
    "Label": "名称",
    "Sort": "排序",
    "Page": "页",
    "Previous": "上一页",
    "Next": "下一页",
    "Download this table": "下载此表",
    "results": "条结果",
    "No results.": "没有结果。",
    "Type": "类型",
    "Matched": "匹配",
    "Run": "运行",
    "Example queries": "示例查询",
    "Results": "结果",
    "Download results": "下载结果",
    "Share this query": "分享此查询",
    "rows": "行",
    "Results were cut at {n} rows.": "结果已截断为 {n} 行。",
    "Why, and how to get the rest": "原因及获取其余结果的方法",
    "Query error": "查询错误",
    "true": "是",
    "false": "否",
    "yes": "是",
    "no": "否",
    "The source report": "来源报道",
    "passages highlighted": "段原文已标注",
    "Highlighted text produced facts; click it to see which.": "标注的文字产生了事实；点击查看。",
    "Dataset": "数据集",
    "Whole dataset": "整个数据集",
    "named graphs kept": "保留命名图",
    "Built": "构建时间",
    "Triples": "三元组",
    "Conforms to the shapes": "符合 SHACL 约束",
    "Does not conform to the shapes": "不符合 SHACL 约束",
    "Headline figures, 2021": "2021年主要指标",
    "What is in it": "数据内容",
    "Where it comes from": "数据来源",
    "classes": "个类",
    "Classes and properties": "类与属性",
    "Properties": "属性",
    "Domain": "定义域",
    "Range": "值域",
    "Inverse of": "逆属性",
    "Individuals": "个体",
    "Shapes": "约束",
    "Source text": "原文文本",
    "Validation report of the current build": "当前构建的校验报告",
    "SPARQL endpoint": "SPARQL 端点",
    "all figures": "全部数字",
    "figures": "个数字",
    "entities": "个实体",
    "Kind of figure": "数字类型",
    "Raw text": "纯文本",
    "Every figure as a table": "全部数字表",
    "Open in the report reader": "在原文阅读器中打开",
    "View the passage": "查看原文段落",
    "English translation": "英文译文",
    "This page": "本页",
    "Only SELECT results are offered as a CSV with labels.": "只有 SELECT 查询结果提供带名称的 CSV。",
    "as a table with filters": "可筛选的表格",
    "CSV with labels": "带名称的 CSV",
    "Skip to content": "跳到正文",
    "Counts include members whose type was inferred (a District is also a Place).": "括号外为成员数（含推理得出的类型）。",
    "File": "文件",
    "Bytes": "字节",
    "Named graphs": "命名图",
    "The default graph is the union of these three named graphs; the TriG and N-Quads files keep them apart.": "默认图是以下三个命名图的并集；TriG 和 N-Quads 文件保留了命名图。",
    "also as": "亦即",
    "Usage": "用法",
    "query its statements": "查询",
    "term page": "条目页",
    "Sources": "来源文件",
    "Text": "纯文本",
    "Jinpu KG: Dalian Jinpu New District in 2021": "大连金普新区2021年发展成就知识图谱",
    "a newspaper special report": "一篇报纸专题报道",
    HOME_LEDE: "一份报纸专题报道中的每一个数字、实体和关系，中英双语，"
    "均可追溯到报道原文的逐字引文。可浏览、搜索、用 SPARQL 查询，并以 RDF 下载。",
    HOME_PROVENANCE: "数据来自{report}（2022年1月）。报道中的每个数字是一个观测值（RDF Data Cube），"
    "每个实体、数字和关系都以 <code>prov:wasDerivedFrom</code> 指向报道中的一段逐字原文，"
    "并带有字符位置。共 {passages} 段原文、{figures} 个数字。"
    "构建时经过 SHACL 校验并做了 OWL 2 RL 推理，推理得出的陈述在页面上单独标明。",
    "ontology": "本体",
    "asserted": "断言",
    "union": "合计",
    "The SHACL report as the validator writes it (in English):": "SHACL 校验器输出的报告原文（英文）：",
    "PARSER_NOTE": "解析器的原始信息（英文）：",
    ": ": "：",
    " (%)": "（%）",
    " ({unit})": "（{unit}）",
    "Jinpu New District's share of {area}": "金普新区占{area}的比重",
    "Every share as a table": "全部占比数字",
    "These figures": "这些数字",
    "Filters": "筛选",
    "Clear all filters": "清除全部筛选",
    "Status": "状态",
    "Industry": "产业",
    "Investor": "投资方",
    "Place": "地点",
    "Theme": "主题",
    "Unit": "单位",
    "Country": "国家",
    "for spreadsheets": "可用电子表格打开",
    "These are the projects the report names.": "此表列出报道点名的项目。",
    "It counts {n} projects signed": "报道统计签约项目{n}个",
    " and ": "、",
    "{n} started in 2021": "2021年开工落地项目{n}个",
    "The report gives no investment amount for any single project, only the total of each group": "报道没有给出任何单个项目的投资额，只给出各类项目的投资总额",
    "projects started": "开工落地项目",
    "projects signed": "签约项目",
    "; so no table can rank the projects by investment.": "；因此无法按投资额给项目排序。",
    ".": "。",
    "of= names no entity of this dataset.": "of= 参数不是本数据集中的条目。",
    "Only the figures table is offered as a spreadsheet.": "只有数字表提供电子表格下载。",
    "In the quote": "见于引文",
    "Names, figures or quotes, in Chinese or English": "名称、数字或引文，中英文均可",
    "Cite this": "引用",
    "Permalink": "永久链接",
    "Publication": "出处",
    "Accessed": "访问日期",
    "Copy the citation": "复制引文格式",
    "Download": "下载",
    "Plain text": "纯文本",
    ", ": "，",
    "A citation is available as .txt, .bib or .json.": "引用格式有 .txt、.bib 和 .json 三种。",
    "Share of {area}": "占{area}比重",
    "about or nearly (the report says 约, 左右 or 近): the bar ends near the value": "约数或接近（原文“约”“左右”“近”）：柱长为约值",
    "more than (the report says 超, 突破, 余 or 以上): the value is above the end of the bar": "下限（原文“超”“突破”“余”“以上”）：实际数值超过柱长",
    "The numbers": "图中数字",
    "Search the graph": "搜索知识图谱",
    "Description": "说明",
    "Predeclared prefixes": "预先声明的前缀",
    "Ctrl+Space completes prefixes, classes, properties and entities; Esc leaves the editor.": "Ctrl+空格 补全前缀、类、属性和实体；按 Esc 离开编辑器。",
    "Declared for you": "已自动声明",
    "This table shows the first {n} of {total} rows; the downloads have them all.": "此表显示 {total} 行中的前 {n} 行；下载文件包含全部结果。",
    "Filter the rows": "筛选行",
    "{n} of {total} rows": "{n} / {total} 行",
    "Sort by": "排序依据",
    "Format": "格式化",
    # query charts and sharing
    "SHARE_BUTTON": "分享",
    "Link to the query in the editor": "编辑器中查询的链接",
    "Link copied.": "链接已复制。",
    "The link is selected: copy it.": "链接已选中，请复制。",
    "Chart the results": "将结果绘成图表",
    "Bar": "柱状图",
    "Line": "折线图",
    "Scatter": "散点图",
    "Pivot of two variables": "两个变量的透视图",
    "Horizontal axis": "横轴",
    "Vertical axis": "纵轴",
    "Split by": "分组依据",
    "(none)": "（无）",
    "The values of ?{y} have several units ({units}); one axis cannot show them honestly. Filter the query to one unit, or split by the unit.": "?{y} 的值有多个单位（{units}），无法在同一坐标轴上如实呈现。请将查询限定为一个单位，或按单位分组。",
    "Several rows share one {x}: choose “Split by” to tell them apart.": "多行的 {x} 相同：请选择“分组依据”加以区分。",
    "A pivot needs two variables: choose one to split by.": "透视图需要两个变量：请选择分组依据。",
    "A scatter plot needs two numeric variables.": "散点图需要两个数值变量。",
    "The result has no variable ?{v}; another is shown.": "结果中没有变量 ?{v}，已改用其他变量。",
    "Chart of ?{y} by ?{x}": "?{y} 按 ?{x} 的图表",
    # report search and suggestions
    "In the report": "原文中",
    "Sentences of the report": "原文句子",
    "Suggestions": "建议",
    # compare view, table tools, tasks on the home page, tabular downloads
    "Columns": "列",
    "Compare": "比较",
    "Compare figures": "比较数字",
    "Compare selected": "比较所选",
    "Compare these figures": "比较这些数字",
    "Each group of comparable figures has a chart of its own; a figure alone is in the table only.": (
        "每组可比的数字各有一张图；单独的数字只列在表中。"
    ),
    "Enterprises": "企业",
    "Every figure": "全部数字",
    "Everything in it, by class": "按类浏览全部内容",
    "Files": "文件",
    "For spreadsheets: one row per member, a label beside every link; CSV in UTF-8 (Excel reads the Chinese right) "
    "and Excel files. Each table page gives the same files for what you filter.": (
        "供电子表格使用：每个成员一行，每个链接旁附名称；CSV 文件（Excel 可正确显示中文），另有 Excel 文件。"
        "每个表格页面也按所选筛选条件提供同样的文件。"
    ),
    "Growth in 2021": "2021年增速",
    "Link": "链接",
    "Open the SPARQL for this table in the query editor": "在查询编辑器中打开此表的 SPARQL",
    "Other": "其他",
    "Pages": "分页",
    "Pick other figures": "另选数字",
    "Pick two to {n} figures to see them side by side: figures that can be compared share a chart, the others get "
    "one each.": "选择 2 至 {n} 个数字并排查看：可比的数字共用一张图，其余各自成图。",
    "Projects": "项目",
    "Query with SPARQL": "用 SPARQL 查询",
    "Read the report": "阅读原文",
    "Ready-made comparisons": "现成的比较",
    "Rows": "行数",
    "Rows {first}–{last} of {total}": "第 {first}–{last} 行，共 {total} 行",
    "Shares of Dalian": "占大连市的比重",
    "Show these columns": "显示这些列",
    "Table": "表格",
    "Tables": "表格",
    "The SPARQL for this table": "此表的 SPARQL",
    "The dataset as RDF and the build's files": "RDF 格式的数据集及构建文件",
    "The district's 2021 amounts in 亿元": "新区2021年以亿元计的总量",
    "The figures": "数字",
    "These figures are not drawn on one axis": "这些数字未画在同一坐标轴上",
    "This comparison": "此比较",
    "This query gives the rows of this table, every page of them, with the filters and columns chosen here.": (
        "此查询给出本表的全部行（所有分页），并采用此处选择的筛选条件和列。"
    ),
    "What you can do": "您可以",
    "as stated": "如原文所述",
    "by country and industry": "按国家和产业",
    "cols={name} is not a column of this table; it has: {keys}.": "cols={name} 不是此表的列；可选的列有：{keys}。",
    "filter by kind, theme, unit and area; sort; download as CSV or Excel": "按类型、主题、单位和地区筛选，排序，下载 CSV 或 Excel",
    "of {whole}": "占{whole}",
    "put figures side by side, charted where they compare": "并排比较数字，可比者绘成图表",
    "some are targets or plans, not results": "其中有目标或计划数，而非实际结果",
    "tables as CSV and Excel, the dataset as RDF": "CSV 和 Excel 表格，RDF 数据集",
    "the projects the report names, by status, industry and investor": "报道提及的项目，按状态、产业和投资方",
    "the report says": "原文为",
    "the source text, every passage that gave a fact marked": "原文全文，标出每段提供事实的文字",
    "they are in different units": "单位不同",
    "they are of different kinds (a level, a growth rate, a share …)": "类型不同（总量、增速、比重……）",
    "they are of different periods": "时期不同",
    "they are shares of different wholes": "所占的整体不同",
    "tick 2 to 8 figures": "勾选 2 至 8 个数字",
    "{n} classes": "{n} 个类",
    "{n} example queries to start from": "{n} 个示例查询",
    "{n} figures side by side, as the report states them.": "{n} 个数字并排，如原文所述。",
}


# unit notations (skos:notation of the data's units) as Chinese writes them after a number
UNIT_ZH: dict[str, str] = {
    "CNY": "元",
    "USD": "美元",
    "persons": "人",
    "visits": "人次",
    "count": "个",
    "m2": "平方米",
    "m": "米",
    "a": "年",
    "h": "小时",
    "d": "天",
    "x": "倍",
    "rank": "位",
}


# Interface strings whose English is not their key
EN: dict[str, str] = {
    "PARSER_NOTE": "",
    "SHARE_BUTTON": "Share",  # "Share" itself is a kind of figure (占比)
}


def translate(text: str, lang: str, **values: object) -> str:
    out = ZH.get(text, text) if lang == "zh" else EN.get(text, text)
    return out.format(**values) if values else out


def markup(text: str, lang: str, **values: object) -> Markup:
    """A translated text that holds markup of its own (<code>): values are escaped unless they are Markup."""
    return Markup(ZH.get(text, text) if lang == "zh" else text).format(**values)


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES[lang]


def html_lang(lang: str) -> str:
    return HTML_LANG[lang]
