"""nbgrader preprocessors of the feedback pipeline (configured in nbgrader_config.py)."""
from nbgrader.preprocessors import NbGraderPreprocessor


class ShortenHiddenTracebacks(NbGraderPreprocessor):
    """A failing hidden test cell's traceback quotes the cell's code, hidden tests included;
    the student gets the error's message alone. Runs before ClearHiddenTests, while the
    hidden-test markers still tell which cells hold hidden tests."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
