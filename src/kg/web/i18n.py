"""The two languages of the UI: which one a request wants, and the interface strings in Chinese.

The language comes from ?lang= (which also sets the cookie, so the choice persists), then the `lang` cookie, then
Accept-Language; English when nothing says otherwise. Interface strings are written in English in the templates and
looked up here for Chinese.
"""

from __future__ import annotations

from flask import Request

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
    "Data: CC BY 4.0. Every fact links to its verbatim source quote.":
        "数据采用 CC BY 4.0 许可。每条事实都链接到原文引文。",
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
    "approx.": "约数",
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
    "This page": "本页",
    "Filters": "筛选",
    "Clear all filters": "清除全部筛选",
    "Status": "状态",
    "Industry": "产业",
    "Investor": "投资方",
    "Place": "地点",
    "Theme": "主题",
    "Unit": "单位",
    "Approximate": "约数",
    "Country": "国家",
    "for spreadsheets": "可用电子表格打开",
    "These are the projects the report names.": "此表列出报道点名的项目。",
    "It counts {n} projects signed": "报道统计签约项目{n}个",
    " and ": "、",
    "{n} started in 2021": "2021年开工落地项目{n}个",
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
    "English translation": "英文译文",
    ", ": "，",
    "A citation is available as .txt, .bib or .json.": "引用格式有 .txt、.bib 和 .json 三种。",
    "Share of {area}": "占{area}比重",
    "approximate value (the report says 约, 近, 超 …)": "约数（报道写作“约”“近”“超”等）",
    "The numbers": "图中数字",
    "Search the graph": "搜索知识图谱",
    "Bytes": "字节",
    "File": "文件",
    "Description": "说明",
    "Predeclared prefixes": "预先声明的前缀",
    "Ctrl+Space completes prefixes, classes, properties and entities; Esc leaves the editor.":
        "Ctrl+空格 补全前缀、类、属性和实体；按 Esc 离开编辑器。",
    "Declared for you": "已自动声明",
    "This table shows the first {n} of {total} rows; the downloads have them all.":
        "此表显示 {total} 行中的前 {n} 行；下载文件包含全部结果。",
    "Filter the rows": "筛选行",
    "{n} of {total} rows": "{n} / {total} 行",
    "Sort by": "排序依据",
    "Format": "格式化",
}


def translate(text: str, lang: str, **values: object) -> str:
    out = ZH.get(text, text) if lang == "zh" else text
    return out.format(**values) if values else out
