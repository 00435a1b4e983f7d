"""The test-tamper guard on real-looking change sets in several languages, and on generated diffs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelroute.changeset import Change, ChangeSet, Flag
from modelroute.strategy.tamper import conventions, guard, is_test_path, tamper_flags

PY_TEST = """import pytest
from shop.cart import Cart


def test_total_sums_items():
    cart = Cart()
    cart.add("apple", 2, price=0.5)
    assert cart.total() == 1.0


def test_empty_cart_is_zero():
    assert Cart().total() == 0


class TestDiscounts:
    def test_ten_percent(self):
        cart = Cart(discount=0.1)
        cart.add("pear", 1, price=10)
        assert cart.total() == pytest.approx(9.0)
"""


def modified(path: str, before: str, after: str) -> Change:
    return Change(path=path, kind="modified", original=before, new=after)


def reasons(*changes: Change, command: str | None = None) -> dict[str, str]:
    return {f.path: f.reason for f in tamper_flags(ChangeSet(changes=changes), command)}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_cart.py", True), ("shop/test_cart.py", True), ("shop/cart_test.py", True),
        ("conftest.py", True), ("pkg/tests/data/cart.json", True), ("src/app.test.tsx", True),
        ("src/__tests__/app.js", True), ("web/e2e/login.spec.ts", True), ("pkg/cart_test.go", True),
        ("pkg/testdata/golden.txt", True), ("crate/tests/it.rs", True), ("app/src/test/java/CartTest.java", True),
        ("spec/models/cart_spec.rb", True), ("Cart.Tests/CartTests.cs", True), ("tests/CartTest.php", True),
        ("shop/cart.py", False), ("src/app.tsx", False), ("pkg/cart.go", False), ("src/lib.rs", False),
        ("docs/testing.md", False), ("shop/contest.py", False), ("src/latest.ts", False),
    ],
)
def test_test_files_by_each_languages_conventions(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def test_a_fix_that_only_touches_code_is_not_flagged() -> None:
    code = modified("shop/cart.py", "def total(self):\n    return 0\n",
                    "def total(self):\n    return sum(self.items)\n")
    assert reasons(code) == {}


def test_new_tests_beside_a_fix_are_fine() -> None:
    extra = PY_TEST + "\n\ndef test_remove_item():\n    cart = Cart()\n    assert cart.remove('x') is None\n"
    new_file = Change(path="tests/test_checkout.py", kind="created", new="def test_pay():\n    assert True\n")
    assert reasons(modified("tests/test_cart.py", PY_TEST, extra), new_file) == {}


def test_removing_changing_and_skipping_assertions_is_flagged() -> None:
    removed = PY_TEST.replace("    assert Cart().total() == 0\n", "    Cart().total()\n")
    changed = PY_TEST.replace("== 1.0", "== 1.5")
    skipped = PY_TEST.replace("def test_empty", "@pytest.mark.skip(reason='flaky')\ndef test_empty")
    xfail = PY_TEST.replace("    def test_ten", "    @pytest.mark.xfail\n    def test_ten")
    assert reasons(modified("tests/test_cart.py", PY_TEST, removed)) == {"tests/test_cart.py": "removes 1 assertion"}
    assert "changes 1 assertion (`assert cart.total() == 1.0`)" in reasons(
        modified("tests/test_cart.py", PY_TEST, changed))["tests/test_cart.py"]
    assert "adds a skip marker (`@pytest.mark.skip(reason='flaky')`)" in reasons(
        modified("tests/test_cart.py", PY_TEST, skipped))["tests/test_cart.py"]
    assert "skip marker" in reasons(modified("tests/test_cart.py", PY_TEST, xfail))["tests/test_cart.py"]


def test_removing_a_test_and_deleting_a_test_file_are_flagged() -> None:
    without = PY_TEST.replace("def test_empty_cart_is_zero():\n    assert Cart().total() == 0\n", "")
    assert reasons(modified("tests/test_cart.py", PY_TEST, without)) == {
        "tests/test_cart.py": "removes 1 test; removes 1 assertion"}
    deleted = Change(path="tests/test_cart.py", kind="deleted", original=PY_TEST)
    assert reasons(deleted) == {"tests/test_cart.py": "deletes a test file (3 tests)"}


def test_tests_added_while_others_were_deleted_may_replace_them() -> None:
    deleted = Change(path="tests/test_cart.py", kind="deleted", original=PY_TEST)
    created = Change(path="tests/test_cart_v2.py", kind="created", new="def test_ok():\n    assert True\n")
    found = reasons(deleted, created)
    assert found["tests/test_cart_v2.py"] == "adds tests while others were deleted (may replace them)"


def test_reformatting_a_test_file_is_not_flagged() -> None:
    reformatted = PY_TEST.replace('cart.add("apple", 2, price=0.5)', 'cart.add("apple",  2,  price=0.5)')
    assert reasons(modified("tests/test_cart.py", PY_TEST, reformatted)) == {}


JS_TEST = """import { add } from './math'

describe('add', () => {
  it('adds small numbers', () => {
    expect(add(1, 2)).toBe(3)
  })

  it('adds negatives', () => {
    expect(add(-1, -2)).toBe(-3)
  })
})
"""


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (JS_TEST.replace("it('adds negatives'", "it.skip('adds negatives'"), "adds a skip marker"),
        (JS_TEST.replace("it('adds negatives'", "xit('adds negatives'"), "adds a skip marker"),
        (JS_TEST.replace("it('adds small", "it.only('adds small"), "adds a skip marker"),
        (JS_TEST.replace("    expect(add(-1, -2)).toBe(-3)\n", ""), "removes 1 assertion"),
        (JS_TEST.replace("toBe(3)", "toBe(4)"), "changes 1 assertion"),
    ],
)
def test_jest_and_vitest_tampering(after: str, expected: str) -> None:
    assert expected in reasons(modified("src/math.test.ts", JS_TEST, after))["src/math.test.ts"]


GO_TEST = """package cart

import "testing"

func TestTotal(t *testing.T) {
\tif got := Total([]int{1, 2}); got != 3 {
\t\tt.Fatalf("Total = %d, want 3", got)
\t}
}
"""

RUST_LIB = """pub fn total(items: &[u32]) -> u32 {
    items.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        assert_eq!(total(&[1, 2]), 3);
    }
}
"""


def test_go_rust_java_ruby_tampering() -> None:
    go_skipped = GO_TEST.replace("{\n\tif got", "{\n\tt.Skip(\"later\")\n\tif got")
    go = reasons(modified("cart/cart_test.go", GO_TEST, go_skipped))
    assert "adds a skip marker (`t.Skip(\"later\")`)" in go["cart/cart_test.go"]
    rust_skip = RUST_LIB.replace("    #[test]\n", "    #[test]\n    #[ignore]\n")
    assert "in its test module: adds a skip marker (`#[ignore]`)" in reasons(
        modified("src/lib.rs", RUST_LIB, rust_skip))["src/lib.rs"]
    rust_gutted = RUST_LIB.replace("        assert_eq!(total(&[1, 2]), 3);\n", "")
    gutted = reasons(modified("src/lib.rs", RUST_LIB, rust_gutted))
    assert "in its test module: removes 1 assertion" in gutted["src/lib.rs"]
    rust_fix = RUST_LIB.replace("items.iter().sum()", "items.iter().copied().sum()")
    assert reasons(modified("src/lib.rs", RUST_LIB, rust_fix)) == {}
    java = "class CartTest {\n  @Test\n  void total() {\n    assertEquals(3, cart.total());\n  }\n}\n"
    java_path = "src/test/java/CartTest.java"
    disabled = java.replace("  @Test\n", "  @Test\n  @Disabled\n")
    assert "skip marker (`@Disabled`)" in reasons(modified(java_path, java, disabled))[java_path]
    ruby = "RSpec.describe Cart do\n  it 'totals' do\n    expect(cart.total).to eq(3)\n  end\nend\n"
    pending = ruby.replace("  it 'totals'", "  xit 'totals'")
    assert "skip marker" in reasons(modified("spec/cart_spec.rb", ruby, pending))["spec/cart_spec.rb"]


PYPROJECT = '[project]\nname = "shop"\nversion = "1"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'
PACKAGE = '{"version": "1.0.0", "scripts": {"test": "jest", "build": "tsc"}, "jest": {}}'
MAKEFILE = "build:\n\tgo build ./...\n\ntest: build\n\tgo test ./...\n"
CARGO = '[package]\nname = "cart"\n\n[[test]]\nname = "it"\n'


@pytest.mark.parametrize(
    ("path", "before", "after", "flagged"),
    [
        ("pytest.ini", "[pytest]\naddopts = -q\n", "[pytest]\naddopts = -q --deselect tests/test_cart.py\n", True),
        ("pyproject.toml", PYPROJECT, PYPROJECT.replace('"-q"', '"-q -k \'not cart\'"'), True),
        ("pyproject.toml", PYPROJECT, PYPROJECT.replace('"1"', '"2"'), False),
        ("setup.cfg", "[metadata]\nname = shop\n[tool:pytest]\ntestpaths = tests\n",
         "[metadata]\nname = shop\n[tool:pytest]\ntestpaths = nothing\n", True),
        ("package.json", PACKAGE, PACKAGE.replace('"test": "jest"', '"test": "exit 0"'), True),
        ("package.json", PACKAGE, PACKAGE.replace('"jest": {}', '"jest": {"testPathIgnorePatterns": ["cart"]}'), True),
        ("package.json", PACKAGE, PACKAGE.replace("1.0.0", "1.0.1").replace('"tsc"', '"tsc -p ."'), False),
        ("Makefile", MAKEFILE, MAKEFILE.replace("\tgo test ./...", "\techo ok"), True),
        ("Makefile", MAKEFILE, MAKEFILE.replace("go build", "go build -v"), False),
        ("Cargo.toml", CARGO, CARGO + "harness = false\n", True),
        ("pom.xml", "<project>\n</project>\n",
         "<project>\n<properties><skipTests>true</skipTests></properties>\n</project>\n", True),
        ("jest.config.js", "module.exports = {}\n", "module.exports = { testPathIgnorePatterns: ['cart'] }\n", True),
    ],
)
def test_test_runner_configuration(path: str, before: str, after: str, flagged: bool) -> None:
    assert (path in reasons(modified(path, before, after))) is flagged


def test_a_new_conftest_is_flagged_because_it_can_change_any_test() -> None:
    hook = "def pytest_collection_modifyitems(items):\n    items.clear()\n"
    conftest = Change(path="conftest.py", kind="created", new=hook)
    assert reasons(conftest) == {"conftest.py": "changes the test-runner configuration"}


def test_changing_the_script_the_check_runs_is_flagged() -> None:
    script = modified("scripts/check.sh", "#!/bin/sh\npytest -q\n", "#!/bin/sh\nexit 0\n")
    assert "changes the script the check runs" in reasons(script, command="sh ./scripts/check.sh")["scripts/check.sh"]
    assert reasons(script, command="pytest -q") == {}


@pytest.mark.parametrize(
    "line",
    [
        "    if 'pytest' in sys.modules:\n        return 3\n",
        "    if os.environ.get('PYTEST_CURRENT_TEST'):\n        return 3\n",
        "    if (process.env.NODE_ENV === 'test') return 3\n",
        "    if testing.Testing() {\n        return 3\n    }\n",
    ],
)
def test_code_that_special_cases_the_test_runner_is_flagged(line: str) -> None:
    before = "def price():\n    return compute()\n"
    after = "def price():\n" + line + "    return compute()\n"
    found = reasons(modified("shop/price.py", before, after))
    assert "behave differently when it runs under tests" in found["shop/price.py"]


def test_binary_test_data_and_deleted_test_data() -> None:
    binary = Change(path="tests/fixtures/logo.png", kind="modified", binary=True, size=10)
    data = Change(path="tests/fixtures/cart.json", kind="deleted", original="{}")
    assert reasons(binary, data) == {"tests/fixtures/logo.png": "changes test data (binary)",
                                     "tests/fixtures/cart.json": "deletes test data"}


def test_guard_adds_its_flags_to_the_change_set_and_keeps_existing_ones() -> None:
    earlier = Flag(path="x", reason="flagged before")
    cs = ChangeSet(changes=(Change(path="tests/test_cart.py", kind="deleted", original=PY_TEST),), flagged=(earlier,))
    guarded = guard(cs)
    assert guarded.flagged[0] == earlier and guarded.flagged[1].path == "tests/test_cart.py"
    assert guard(guarded).flagged == guarded.flagged
    clean = ChangeSet(changes=(modified("a.py", "x = 1\n", "x = 2\n"),))
    assert guard(clean) is clean


def test_conventions_ship_with_the_package() -> None:
    conv = conventions()
    assert {lang.name for lang in conv.languages} >= {"Python", "JavaScript/TypeScript", "Go", "Rust"}
    assert all(lang.test_files for lang in conv.languages)


# Generated diffs.
names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
values = st.integers(-1000, 1000)


def _py_tests(cases: list[tuple[str, int]]) -> str:
    return "".join(f"def test_{n}_{i}():\n    assert compute_{n}() == {v}\n\n" for i, (n, v) in enumerate(cases))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, values), min_size=1, max_size=6), st.lists(st.tuples(names, values), max_size=4))
def test_appending_tests_is_never_flagged(existing: list[tuple[str, int]], extra: list[tuple[str, int]]) -> None:
    before = _py_tests(existing)
    after = before + _py_tests(extra).replace("def test_", "def test_new_")
    assert reasons(modified("tests/test_gen.py", before, after)) == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, values), min_size=1, max_size=6), st.data())
def test_dropping_any_assertion_is_flagged(cases: list[tuple[str, int]], data: st.DataObject) -> None:
    before = _py_tests(cases)
    lines = before.splitlines(keepends=True)
    asserts = [i for i, line in enumerate(lines) if line.lstrip().startswith("assert")]
    drop = data.draw(st.sampled_from(asserts))
    after = "".join(line if i != drop else "    pass\n" for i, line in enumerate(lines))
    assert "removes 1 assertion" in reasons(modified("tests/test_gen.py", before, after))["tests/test_gen.py"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, values), min_size=1, max_size=6), st.data(),
       st.sampled_from(["@pytest.mark.skip", "@pytest.mark.xfail(strict=False)", "@unittest.skip('x')"]))
def test_skipping_any_test_is_flagged(cases: list[tuple[str, int]], data: st.DataObject, marker: str) -> None:
    before = _py_tests(cases)
    lines = before.splitlines(keepends=True)
    defs = [i for i, line in enumerate(lines) if line.startswith("def ")]
    at = data.draw(st.sampled_from(defs))
    after = "".join(lines[:at]) + marker + "\n" + "".join(lines[at:])
    assert "adds a skip marker" in reasons(modified("tests/test_gen.py", before, after))["tests/test_gen.py"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, values), min_size=1, max_size=8),
       st.lists(st.tuples(names, values), min_size=1, max_size=8))
def test_rewriting_code_that_is_not_a_test_is_never_flagged(
    before: list[tuple[str, int]], after: list[tuple[str, int]]
) -> None:
    def code(rows: list[tuple[str, int]]) -> str:
        return "".join(f"def {n}_{i}(x):\n    return x + {v}\n" for i, (n, v) in enumerate(rows))

    assert reasons(modified("shop/generated.py", code(before), code(after))) == {}


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        ("sitecustomize.py", None, "import builtins\n"),
        ("src/zz_patch.pth", None, "import patch_pytest\n"),
        (".env", "DEBUG=1\n", "DEBUG=1\nPYTEST_ADDOPTS=-k nothing\n"),
        ("pyproject.toml", '[project]\nname = "x"\n',
         '[project]\nname = "x"\n\n[project.entry-points.pytest11]\nquiet = "x.plugin"\n'),
        ("pkg/sub/conftest.py", "", "import pytest\n"),
    ],
)
def test_ways_around_the_runner_that_a_hostile_change_could_take(path: str, before: str | None, after: str) -> None:
    change = (Change(path=path, kind="created", new=after) if before is None
              else Change(path=path, kind="modified", original=before, new=after))
    assert path in reasons(change)


def test_an_ordinary_env_change_is_not_flagged() -> None:
    assert reasons(modified(".env", "DEBUG=1\n", "DEBUG=0\nLOG_LEVEL=info\n")) == {}
