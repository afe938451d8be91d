"""The instructors' page (book/teaching.md) types the exercises' tasks and points by hand: they
must be those of the grader's task registry, which `coursekit grade` and `coursekit.check` use."""
import re

from coursekit import book
from coursekit.grading.tasks import exercise_tasks, exercises, notebooks

PAGE = book.ROOT / "book" / "teaching.md"

# | `cnn.conv2d` | `conv2d`: what a convolution layer computes | 3 |
TASK_ROW = re.compile(r"^\|\s*`(?P<id>[a-z_]+\.[a-z_0-9]+)`\s*\|\s*`(?P<name>\w+)`[^|]*\|\s*(?P<points>[^|]*?)\s*\|\s*$",
                      re.M)
# | 2 | {doc}`../exercises/02_cnn` (`cnn`) | 5 | 12 | {ref}`chapter 2 <cnn-concepts-goals>` |
EXERCISE_ROW = re.compile(r"^\|\s*\d+\s*\|\s*\{doc\}`\.\./exercises/(?P<notebook>\w+)`\s*\(`(?P<exercise>\w+)`\)\s*\|"
                          r"\s*(?P<tasks>[^|]*?)\s*\|\s*(?P<points>[^|]*?)\s*\|", re.M)


def registry() -> list[tuple[str, str, str]]:
    """(task id, the name the student defines, points) of every task, in the order of the
    chapters (their exercise notebooks) and, within one, of the notebook."""
    names = notebooks()
    return [(t.id, t.name, str(t.points)) for e in sorted(exercises(), key=names.get) for t in exercise_tasks(e)]


def task_table_errors(text: str) -> list[str]:
    rows = [(m["id"], m["name"], m["points"]) for m in TASK_ROW.finditer(text)]
    known = {task_id: (name, points) for task_id, name, points in registry()}
    listed = [task_id for task_id, _, _ in rows]
    errors = [f"{task_id}: no such task" for task_id in listed if task_id not in known]
    errors += [f"{task_id}: missing from the page" for task_id in known if task_id not in listed]
    errors += [f"{task_id}: listed {listed.count(task_id)} times" for task_id in sorted(set(listed))
               if listed.count(task_id) > 1]
    for task_id, name, points in rows:
        if task_id in known and (name, points) != known[task_id]:
            errors.append(f"{task_id}: the page says `{name}`, {points} points; "
                          f"the grader has `{known[task_id][0]}`, {known[task_id][1]} points")
    in_registry_order = [task_id for task_id, _, _ in registry() if task_id in listed]
    if not errors and listed != in_registry_order:
        errors.append("the tasks are not in the order of the exercises and their notebooks")
    return errors


def exercise_table_errors(text: str) -> list[str]:
    rows = {m["exercise"]: m for m in EXERCISE_ROW.finditer(text)}
    errors = [f"exercise {e}: missing from the page" for e in exercises() if e not in rows]
    for exercise, row in rows.items():
        if exercise not in exercises():
            errors.append(f"exercise {exercise}: no such exercise")
            continue
        tasks = exercise_tasks(exercise)
        expected = (notebooks()[exercise], str(len(tasks)), str(sum(t.points for t in tasks)))
        got = (row["notebook"], row["tasks"], row["points"])
        if got != expected:
            errors.append(f"exercise {exercise}: the page says notebook, tasks, points = {got}; the grader has {expected}")
    return errors


def test_the_task_table_gives_every_task_of_the_grader_with_its_points():
    assert not task_table_errors(PAGE.read_text(encoding="utf-8"))


def test_the_exercise_table_gives_every_exercise_with_its_notebook_tasks_and_points():
    assert not exercise_table_errors(PAGE.read_text(encoding="utf-8"))


def test_a_wrong_missing_or_unknown_task_is_caught():
    text = PAGE.read_text(encoding="utf-8")
    row = "| `cnn.conv2d` | `conv2d`: what a convolution layer computes, without `F.conv2d` | 3 |\n"
    assert row in text
    assert task_table_errors(text.replace(row, row.replace("| 3 |", "| 4 |")))       # other points
    assert task_table_errors(text.replace(row, row.replace("`conv2d`:", "`conv`:")))  # another name
    assert task_table_errors(text.replace(row, ""))                                   # missing
    assert task_table_errors(text.replace(row, row + row.replace("cnn.conv2d", "cnn.conv3d")))  # unknown
    assert task_table_errors(text.replace(row, row + row))                             # twice


def test_a_wrong_exercise_total_is_caught():
    text = PAGE.read_text(encoding="utf-8")
    row = "| 2 | {doc}`../exercises/02_cnn` (`cnn`) | 5 | 12 |"
    assert row in text
    assert exercise_table_errors(text.replace(row, row.replace("| 12 |", "| 13 |")))
    assert exercise_table_errors(text.replace(row, row.replace("| 5 |", "| 4 |")))
    assert exercise_table_errors(text.replace(row, ""))


def test_the_page_links_every_chapters_learning_goals():
    text = PAGE.read_text(encoding="utf-8")
    labels = [re.match(r"\((.+)\)=", (book.ROOT / "book" / f"{nb}.md").read_text(encoding="utf-8"))[1]
              for nb in notebooks().values()]
    missing = [label for label in labels if f"<{label}-goals>`" not in text]
    assert not missing, f"book/teaching.md links no learning goals for {missing}"
