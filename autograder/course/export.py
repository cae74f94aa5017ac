"""grades.csv: one row per student, one column per check, and why points were lost."""
import csv
import io

from ..common.atomic import write_text


def check_names(checks):
    """The names of ``checks`` ({name: Check}) by exercise, in their order within one."""
    return sorted(checks, key=lambda n: checks[n].exercise)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell a spreadsheet shows as text: one starting like a formula (``=``, ``+``,
    ``-``, ``@``) gets a leading apostrophe, as OWASP advises against CSV injection."""
    text = str(value)
    if not text.startswith(FORMULA_START):
        return text
    try:
        float(text)             # a number (-1.5) is a number, not a formula
        return text
    except ValueError:
        return "'" + text


def write_grades_csv(rows, path, checks):
    """Write the students' automatic scores, a column per check of ``checks``; returns the path.
    Written atomically, its folder made when missing."""
    names = check_names(checks)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "auto_score", "auto_possible", *names, "reasons"])
    for row in rows:
        scores = [f"{row.scores.get(n, (0.0, 0.0))[0]:g}" for n in names]
        reasons = " | ".join(f"{gid} (-{lost:g}): {row.messages.get(gid, 'no message')}"
                             for gid, lost in row.lost().items())
        writer.writerow([spreadsheet_safe(row.student), f"{row.auto_total:g}", f"{row.auto_possible:g}",
                         *scores, spreadsheet_safe(reasons)])
    return write_text(path, buffer.getvalue())
