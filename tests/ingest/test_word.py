"""A Word document read as blocks: heading styles as headings, list paragraphs as items, tables as rows."""

from __future__ import annotations

import io

import docx

from ingest.chunks import file_sha, sentences_of
from ingest.loaders import load


def test_styles_give_headings_items_and_rows_and_sentences_carry_their_section(tmp_path):
    document = docx.Document()
    document.add_paragraph("Port Survey", style="Title")
    document.add_paragraph("Piers", style="Heading 1")
    document.add_paragraph("Cranes run on Sundays.")
    document.add_paragraph("The pier offers:")
    document.add_paragraph("Fresh water.", style="List Bullet")
    document.add_paragraph("Shore power.", style="List Bullet")
    document.add_paragraph("Ferries", style="Heading 2")
    document.add_paragraph("Book a berth.", style="List Number")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Berth 4", "Closed"
    buffer = io.BytesIO()
    document.save(buffer)
    (tmp_path / "port.docx").write_bytes(buffer.getvalue())

    loaded = load(tmp_path / "port.docx")
    assert loaded.text == (
        "# Port Survey\n\n## Piers\n\nCranes run on Sundays.\n\nThe pier offers:\n\n- Fresh water.\n\n"
        "- Shore power.\n\n### Ferries\n\n1. Book a berth.\n\n| Berth 4 | Closed |"
    )
    sentences = sentences_of("port.docx", loaded.text, file_sha(loaded.text), blocks=loaded.blocks)
    assert [(s.text, s.section) for s in sentences] == [
        ("Cranes run on Sundays.", "Port Survey › Piers"),
        ("The pier offers:", "Port Survey › Piers"),
        ("Fresh water.", "Port Survey › Piers"),
        ("Shore power.", "Port Survey › Piers"),
        ("Book a berth.", "Port Survey › Piers › Ferries"),
        ("Berth 4 | Closed", "Port Survey › Piers › Ferries"),
    ]
