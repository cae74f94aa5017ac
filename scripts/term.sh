#!/usr/bin/env bash
# The instructor's guide (README, "A term, step by step"), run as written in a course folder of
# its own: release, nbgrader's exchange for one student and an LMS download (Canvas) for two,
# one `grade`, a written answer graded by hand, the LMS export and the feedback upload.
# The students' answers are the sample class's. Usage: bash scripts/term.sh [WORK_DIR]
set -euo pipefail
bash "$(dirname "$0")/setup.sh" >/dev/null
source "$(dirname "$0")/env.sh"
REPO=$PWD
WORK=${1:-$(mktemp -d /tmp/term-XXXXXX)}
COURSE=$WORK/course
EXCHANGE=$WORK/exchange
export COURSE WORK
mkdir -p "$COURSE" "$EXCHANGE" "$WORK/student"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. A course folder of its own: the configuration and the source notebook"
cp -r "$REPO/nbgrader_config.py" "$REPO/source" "$COURSE/"
echo "c.Exchange.root = '$EXCHANGE'" >> "$COURSE/nbgrader_config.py"
echo 'c.Course.lms_assignment_id = "777"' >> "$COURSE/nbgrader_config.py"
cd "$COURSE"
autograder --version

step "2. The student version (and the student package beside it)"
autograder release

step "3a. nbgrader's exchange: release, a student fetches and submits, collect"
nbgrader release_assignment regularization
(
  cd "$WORK/student"
  nbgrader fetch_assignment regularization --course module07 --Exchange.root="$EXCHANGE"
  # (the student works; here: the sample answers of `missing_l2`)
  python - <<'EOF'
import nbformat, os
from autograder.tools.sample_class import SAMPLES, build_submission
course = os.environ["COURSE"]
release = nbformat.read(f"{course}/release/regularization/regularization.ipynb", 4)
source = nbformat.read(f"{course}/source/regularization/regularization.ipynb", 4)
nbformat.write(build_submission(release, source, SAMPLES["missing_l2"]), "regularization/regularization.ipynb")
EOF
  nbgrader submit regularization --course module07 --Exchange.root="$EXCHANGE"
)
nbgrader collect regularization

step "3b. An LMS download: Canvas' zip of two students, with the class roster"
python - <<'EOF'
import nbformat, os, zipfile
from autograder.tools.sample_class import SAMPLES, build_submission
course = os.environ["COURSE"]
release = nbformat.read(f"{course}/release/regularization/regularization.ipynb", 4)
source = nbformat.read(f"{course}/source/regularization/regularization.ipynb", 4)
with zipfile.ZipFile(f"{os.environ['WORK']}/submissions.zip", "w") as z:
    for name, sample in (("doejane_10001_5001_regularization.ipynb", "reference"),
                         ("roedick_10002_5002_hw7-final.ipynb", "bn_wrong_side")):
        z.writestr(name, nbformat.writes(build_submission(release, source, SAMPLES[sample])))
with open(f"{os.environ['WORK']}/roster.csv", "w") as f:
    f.write("student,lms_id,name,email\njdoe,10001,Jane Doe,jdoe@example.edu\nrdick,10002,Rick Roe,rroe@example.edu\n")
EOF
autograder collect "$WORK/submissions.zip" --roster "$WORK/roster.csv"

step "4. Grade the class"
autograder grade

step "5. Hand grading (formgrader; here one written answer scored through nbgrader's API)"
python - <<'EOF'
from nbgrader.api import Gradebook
with Gradebook("sqlite:///gradebook.db") as gb:
    grade = gb.find_grade("ex1_q1", "regularization", "regularization", "jdoe")
    grade.manual_score, grade.needs_manual_grade = 1.0, False
    gb.db.commit()
EOF

step "6. Back to the LMS: totals for Canvas' gradebook import, the feedback for its bulk upload"
autograder export --format canvas
autograder feedback --lms canvas
autograder scores
echo
echo "course folder: $COURSE"
