"""Write the first version of the Word templates in ``templates/``.

The templates are ordinary Word files: open them in Word or LibreOffice and
change fonts, spacing, header and footer as you like; the words live in
``clauses/`` and the code never depends on the layout. This script only
made their first version (and documents which tags they hold); running it
again overwrites any edit made in Word.

    python tools/make_templates.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parent.parent
FONT = "Liberation Serif"
SANS = "Liberation Sans"


def _set_font(style, name: str, size: float, *, bold: bool | None = None,
              italic: bool | None = None, color: RGBColor | None = None) -> None:
    style.font.name = name
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)
    if bold is not None:
        style.font.bold = bold
    if italic is not None:
        style.font.italic = italic
    if color is not None:
        style.font.color.rgb = color


def _language(doc) -> None:
    """French proofing language for the whole document (spell check, hyphenation)."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "fr-FR")
    lang.set(qn("w:eastAsia"), "fr-FR")
    lang.set(qn("w:bidi"), "ar-SA")


def _styles(doc, *, accent: RGBColor) -> None:
    styles = doc.styles
    _language(doc)
    normal = styles["Normal"]
    _set_font(normal, FONT, 11)
    normal.paragraph_format.space_after = Pt(4)

    title = styles["Title"]
    _set_font(title, SANS, 18, bold=True, color=accent)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    # the default Title has a bottom border: keep the look sober
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)

    subtitle = styles["Subtitle"]
    _set_font(subtitle, SANS, 10, italic=True, color=RGBColor(0x80, 0x20, 0x20))
    subtitle.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle.paragraph_format.space_after = Pt(18)

    h1 = styles["Heading 1"]
    _set_font(h1, SANS, 12, bold=True, color=accent)
    h1.paragraph_format.space_before = Pt(14)
    h1.paragraph_format.space_after = Pt(6)
    h1.paragraph_format.keep_with_next = True

    h2 = styles["Heading 2"]
    _set_font(h2, SANS, 11, bold=True, color=accent)
    h2.paragraph_format.space_before = Pt(10)
    h2.paragraph_format.space_after = Pt(4)
    h2.paragraph_format.keep_with_next = True

    body = styles["Body Text"]
    _set_font(body, FONT, 11)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.space_after = Pt(6)
    body.paragraph_format.widow_control = True

    bullet = styles["List Bullet"]
    _set_font(bullet, FONT, 11)
    bullet.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    bullet.paragraph_format.space_after = Pt(3)

    quote = styles["Quote"]
    _set_font(quote, FONT, 11, italic=True, color=RGBColor(0x33, 0x33, 0x33))
    quote.paragraph_format.left_indent = Cm(1)
    quote.paragraph_format.right_indent = Cm(1)
    quote.paragraph_format.space_after = Pt(6)

    for name in ("Header", "Footer"):
        _set_font(styles[name], SANS, 8, color=RGBColor(0x55, 0x55, 0x55))
        ppr = styles[name].element.get_or_add_pPr()
        for tabs in ppr.findall(qn("w:tabs")):  # the stock centre tab would catch our text
            ppr.remove(tabs)

    strong = styles["Strong"]
    strong.font.bold = True

    value = styles.add_style("Valeur du dossier", WD_STYLE_TYPE.CHARACTER)
    value.element.set(qn("w:styleId"), "ValeurDossier")
    value.base_style = styles["Default Paragraph Font"]
    rpr = value.element.get_or_add_rPr()
    shading = OxmlElement("w:shd")  # shading, not highlight: both Word and LibreOffice show it
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), "FFF2A8")
    rpr.append(shading)

    table_text = styles.add_style("Texte de tableau", WD_STYLE_TYPE.PARAGRAPH)
    table_text.element.set(qn("w:styleId"), "TexteTableau")
    table_text.base_style = styles["Normal"]
    _set_font(table_text, FONT, 10)
    table_text.paragraph_format.space_after = Pt(2)


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.2)
    section.header_distance = section.footer_distance = Cm(1.0)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run._r.append(sep)
    paragraph.add_run("1")
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _header(section, doc, left: str) -> None:
    width = section.page_width - section.left_margin - section.right_margin
    header = section.header.paragraphs[0]
    header.style = doc.styles["Header"]
    header.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    header.add_run(left)
    header.add_run("\t")
    header.add_run("{{ draft_notice }}").bold = True


def _footer_line(paragraph, doc, width, *, left: str, pages: str) -> None:
    """``left`` then, at the right margin, « Page X sur Y » (Y from the ``pages`` field)."""
    paragraph.style = doc.styles["Footer"]
    paragraph.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    if left:
        paragraph.add_run(left)
    paragraph.add_run("\tPage ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" sur ")
    _field(paragraph, pages)


END_OF_CONTRACT = "FinDuContrat"
INITIALS = "Paraphes\u00a0: ________   ________"
ANNEX_FOOTER = "Notes pour le juriste – ne font pas partie du contrat"


def _bookmark(paragraph, name: str) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), "0")
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), "0")
    paragraph._p.append(start)
    paragraph._p.append(end)


def _header_footer(doc, *, left: str, initials: bool) -> None:
    """One section: the header, and a footer counting the pages of the document."""
    section = doc.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    _header(section, doc, left)
    _footer_line(section.footer.paragraphs[0], doc, width,
                 left=INITIALS if initials else "", pages="NUMPAGES")


def _p(doc, text: str = "", style: str = "Body Text"):
    paragraph = doc.add_paragraph(style=style)
    if text:
        paragraph.add_run(text)
    return paragraph


def _blocks_loop(doc, items: str, *, headings: bool = False) -> None:
    """The paragraphs of a list of blocks, each in its named style."""
    _p(doc, f"{{%p for b in {items} %}}")
    if headings:
        _p(doc, "{%p if b.kind == 'heading' %}")
        _p(doc, "{{r b.rich }}", "Heading 2")
        _p(doc, "{%p elif b.kind == 'bullet' %}")
    else:
        _p(doc, "{%p if b.kind == 'bullet' %}")
    _p(doc, "{{r b.rich }}", "List Bullet")
    _p(doc, "{%p else %}")
    _p(doc, "{{r b.rich }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p endfor %}")


# CT_TblPr's children, in the order the schema requires
_TBL_PR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
                 "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
                 "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    later = {qn(f"w:{n}") for n in _TBL_PR_ORDER[_TBL_PR_ORDER.index("tblBorders") + 1:]}
    successor = next((child for child in tbl_pr if child.tag in later), None)
    if successor is None:
        tbl_pr.append(borders)
    else:
        successor.addprevious(borders)


def contract() -> Document:
    doc = Document()
    accent = RGBColor(0x1F, 0x3A, 0x5F)
    _styles(doc, accent=accent)
    _page(doc)
    left = "Contrat d’apporteur d’affaires – réf. {{ reference }}"
    section = doc.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    _header(section, doc, left)
    # Used with --review only (the contract then ends with a section break): its
    # pages are counted up to the contract's last page, without the annex.
    # (Word's SECTIONPAGES would say it too, but LibreOffice cannot compute it.)
    _footer_line(section.footer.paragraphs[0], doc, width, left=INITIALS,
                 pages=f"PAGEREF {END_OF_CONTRACT} \\h")

    _p(doc, "Contrat d’apporteur d’affaires", "Title")
    _p(doc, "{%p if draft_notice %}")  # empty in the copy to sign (build --final)
    _p(doc, "{{ draft_notice }}", "Subtitle")
    _p(doc, "{%p endif %}")

    _p(doc, "Entre les soussignés\u00a0:")
    _p(doc, "{{r introducer_identity }},")
    _p(doc, "ci-après {{ introducer.designated }} «\u00a0l’Apporteur\u00a0»,")
    _p(doc, "d’une part,")
    _p(doc, "Et")
    _p(doc, "{{r beneficiary_identity }},")
    _p(doc, "ci-après {{ beneficiary.designated }} «\u00a0le Bénéficiaire\u00a0»,")
    _p(doc, "d’autre part,")
    _p(doc, "ci-après ensemble dénommés «\u00a0les Parties\u00a0».")
    _p(doc, "Il a été convenu ce qui suit\u00a0:")

    _p(doc, "{%p for a in articles %}")
    _p(doc, "{{ a.heading }}", "Heading 1")
    _blocks_loop(doc, "a.blocks")
    _p(doc, "{%p endfor %}")

    closing = _p(doc, "{{r closing }}")
    closing.paragraph_format.space_before = Pt(18)
    closing.paragraph_format.keep_with_next = True

    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    for cell, who in zip(table.rows[0].cells, ("introducer", "beneficiary"), strict=True):
        first = cell.paragraphs[0]
        first.style = doc.styles["Texte de tableau"]
        first.add_run(f"{{{{ signatures.{who}.heading }}}}").bold = True
        for line in (f"{{{{ signatures.{who}.name }}}}", f"{{{{ signatures.{who}.form }}}}",
                     f"{{{{ signatures.{who}.signer_line }}}}",
                     "Date et signature\u00a0:"):
            paragraph = cell.add_paragraph(style="Texte de tableau")
            paragraph.add_run(line)
            paragraph.paragraph_format.keep_with_next = True
        cell.add_paragraph(style="Texte de tableau")
    row = table.rows[0]
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST  # room to sign: about 4 cm below the lines
    row.height = Cm(7)
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))

    # The review annex is a section of its own: a new page, its own footer (no
    # initials), its own page numbers; the contract's footer counts its pages alone.
    _p(doc, "{%p if review %}")
    doc.add_section(WD_SECTION.NEW_PAGE)  # the contract's section ends here
    _bookmark(doc.paragraphs[-1], END_OF_CONTRACT)
    _p(doc, "Notes pour le juriste", "Heading 1")
    _blocks_loop(doc, "annex", headings=True)
    _p(doc, "{%p endif %}")
    last = doc.sections[-1]  # the annex with --review, else the contract itself
    last.header.is_linked_to_previous = False
    _header(last, doc, left)
    last.footer.is_linked_to_previous = False
    footer = last.footer
    footer.paragraphs[0].text = "{%p if review %}"
    annex_footer = footer.add_paragraph(ANNEX_FOOTER, style="Footer")
    annex_footer.add_run(" – page ")
    _field(annex_footer, "PAGE")
    footer.add_paragraph("{%p else %}")
    _footer_line(footer.add_paragraph(), doc, width, left=INITIALS, pages="NUMPAGES")
    footer.add_paragraph("{%p endif %}")
    page_numbers = OxmlElement("w:pgNumType")
    page_numbers.set(qn("w:start"), "1")
    _insert_in_sect_pr(last._sectPr, page_numbers)
    return doc


# CT_SectPr's children after the header and footer references, in schema order
_SECT_PR_ORDER = ("footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc", "pgBorders",
                  "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
                  "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings",
                  "sectPrChange")


def _insert_in_sect_pr(sect_pr, element) -> None:
    name = element.tag.split("}")[1]
    later = {qn(f"w:{n}") for n in _SECT_PR_ORDER[_SECT_PR_ORDER.index(name) + 1:]}
    successor = next((child for child in sect_pr if child.tag in later), None)
    if successor is None:
        sect_pr.append(element)
    else:
        successor.addprevious(element)


def offer() -> Document:
    doc = Document()
    accent = RGBColor(0x2E, 0x6B, 0x4F)
    _styles(doc, accent=accent)
    _page(doc)
    _header_footer(doc, left="Fiche d’offre – réf. {{ reference }}", initials=False)

    _p(doc, "{{ title }}", "Title")
    _p(doc, "{{ subtitle }}", "Subtitle")

    _p(doc, "{%p for s in sections %}")
    _p(doc, "{{ s.title }}", "Heading 1")
    _blocks_loop(doc, "s.blocks")
    _p(doc, "{%p if s.id == 'recommandation' %}")
    _p(doc, "{%p for m in message %}")
    _p(doc, "{{ m }}", "Quote")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if s.id == 'exemple' and example %}")
    table = doc.add_table(rows=3, cols=4)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    headers = ("", "Chiffre d’affaires du client (HT)", "Commission (HT)",
               "Ce que vous gardez (HT)")
    for column, (cell, text) in enumerate(zip(table.rows[0].cells, headers, strict=True)):
        paragraph = cell.paragraphs[0]
        paragraph.style = doc.styles["Texte de tableau"]
        paragraph.add_run(text).bold = True
        if column:  # the columns of figures
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    loop_cells = table.rows[1].cells
    loop_cells[0].paragraphs[0].add_run("{%tr for row in example.rows %}")
    values = table.rows[2].cells
    for column, (cell, text) in enumerate(zip(values, (
            "{{ row.label }}", "{{ row.revenue }}", "{{ row.commission }}", "{{ row.kept }}"),
            strict=True)):
        paragraph = cell.paragraphs[0]
        paragraph.style = doc.styles["Texte de tableau"]
        paragraph.add_run(text)
        if column:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    end_row = table.add_row().cells
    end_row[0].paragraphs[0].add_run("{%tr endfor %}")
    table.autofit = False
    for column, width in zip(table.columns, (Cm(4.6), Cm(3.8), Cm(3.4), Cm(3.8)), strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    _p(doc, "{%p endif %}")
    _section_table(doc)
    _p(doc, "{%p endfor %}")
    return doc


def _section_table(doc) -> None:
    """A section's own two-column table, after its blocks (``s.table``: ``header``, two
    strings; ``rows``, each a ``label`` in bold and its ``rich`` text), e.g. « Ce qui
    arrive » / « Ce qui reste dû »."""
    _p(doc, "{%p if s.table %}")
    table = doc.add_table(rows=3, cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, cell in enumerate(table.rows[0].cells):
        paragraph = cell.paragraphs[0]
        paragraph.style = doc.styles["Texte de tableau"]
        paragraph.add_run(f"{{{{ s.table.header[{column}] }}}}").bold = True
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for row in s.table.rows %}")
    label, text = table.rows[2].cells
    label.paragraphs[0].style = doc.styles["Texte de tableau"]
    label.paragraphs[0].add_run("{{ row.label }}").bold = True
    text.paragraphs[0].style = doc.styles["Texte de tableau"]
    text.paragraphs[0].add_run("{{r row.rich }}")
    table.add_row().cells[0].paragraphs[0].add_run("{%tr endfor %}")
    table.autofit = False
    for column, width in zip(table.columns, (Cm(5.2), Cm(10.4)), strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    _p(doc, "{%p endif %}")


def client() -> Document:
    """The client notice: a short letter from the introducer, with the offer's look."""
    doc = Document()
    accent = RGBColor(0x2E, 0x6B, 0x4F)
    _styles(doc, accent=accent)
    _page(doc)
    _header_footer(doc, left="Information du client – réf. {{ reference }}", initials=False)

    _p(doc, "{%p for line in sender %}")
    _p(doc, "{{ line }}", "Texte de tableau")
    _p(doc, "{%p endfor %}")
    recipient = _p(doc, "{{ recipient }}")
    recipient.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    recipient.paragraph_format.space_before = Pt(12)
    recipient.paragraph_format.space_after = Pt(12)
    _p(doc, "{{ title }}", "Title")
    subject = _p(doc)
    subject.add_run("{{ subject }}").bold = True
    _p(doc, "{{ salutation }}")

    _p(doc, "{%p for s in sections %}")
    _p(doc, "{{ s.title }}", "Heading 1")
    _blocks_loop(doc, "s.blocks")
    _p(doc, "{%p endfor %}")

    closing = _p(doc, "{{ closing }}")
    closing.paragraph_format.space_before = Pt(12)
    closing.paragraph_format.keep_with_next = True
    signature = _p(doc, "{{ signature }}")
    signature.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signature.paragraph_format.space_before = Pt(12)
    return doc


def _preserve_spaces(doc) -> None:
    """``xml:space="preserve"`` on every text whose spaces matter.

    Without it, a reader may collapse the spaces between the initials' blanks
    or around a tag (the Open XML schema leaves them to the application).
    """
    for part in doc.part.package.iter_parts():
        element = getattr(part, "_element", None)
        if element is None:
            continue
        for t in element.iter(qn("w:t")):
            text = t.text or ""
            if text != text.strip() or "  " in text or "{{" in text:
                t.set(qn("xml:space"), "preserve")


def save(doc, path: Path) -> None:
    _preserve_spaces(doc)
    doc.save(path)
    _slim(path)


DROPPED = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/")
NEUTRAL_PARTS = {
    # python-docx's stock template names Word for the Mac and python-docx as the
    # author: the documents name the tool that made them (apport writes both
    # again in every document it renders).
    "docProps/app.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
        '2006/docPropsVTypes"><Application>apport</Application><DocSecurity>0</DocSecurity>'
        "</Properties>"),
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:creator>apport</dc:creator></cp:coreProperties>"),
}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes at every run of this tool


def _slim(path: Path) -> None:
    """Drop the parts python-docx's stock template carries and ours never needs.

    Its thumbnail shows another document, its customXml is empty and
    stylesWithEffects only serves Word 2010: removing them (and their
    relationships) leaves a smaller, honest template. The properties name
    apport, and the zip carries fixed dates, so that running this tool again
    gives byte-identical templates.
    """
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    kept = {name: data for name, data in parts.items() if not name.startswith(DROPPED)}
    for name in ("[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels"):
        text = kept[name].decode("utf-8")
        text = re.sub(r'<Override PartName="/(?:word/stylesWithEffects\.xml|docProps/thumbnail'
                      r'\.jpeg|customXml/[^"]*)"[^>]*/>', "", text)
        text = re.sub(r'<Relationship [^>]*Target="(?:stylesWithEffects\.xml|docProps/thumbnail'
                      r'\.jpeg|\.\./customXml/[^"]*)"[^>]*/>', "", text)
        kept[name] = text.encode("utf-8")
    for name, text in NEUTRAL_PARTS.items():
        kept[name] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w") as target:
        for name, data in kept.items():
            target.writestr(zipfile.ZipInfo(name, FIXED_TIME), data,
                            compress_type=zipfile.ZIP_DEFLATED)


def main() -> int:
    target = ROOT / "templates"
    target.mkdir(exist_ok=True)
    save(contract(), target / "contrat.docx")
    save(offer(), target / "offre.docx")
    save(client(), target / "client.docx")
    print(f"wrote {target / 'contrat.docx'}, {target / 'offre.docx'} and {target / 'client.docx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
