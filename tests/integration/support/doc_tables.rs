//! Tables in `docs/` whose last column names the tests that hold each line:
//! every line names one, and each named test exists.

/// The repository's root.
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Checks the table of `page` (a path under the root) whose header row
/// starts with `header`, after the first occurrence of `after`: at least
/// `min_rows` lines, each naming (in backticks, in its last column) one or
/// more `module::test` that exists: a Rust test of this binary's module, or
/// a PHPUnit test of the package (a module ending in `Test`). Lines whose
/// last column contains `exempt` name no test.
pub fn assert_every_line_names_tests_that_exist(
    page: &str,
    (after, header): (&str, &str),
    min_rows: usize,
    exempt: Option<&str>,
) {
    let text = std::fs::read_to_string(format!("{ROOT}/{page}")).expect("page");
    let start = text
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {page}"));
    let rows: Vec<&str> = text[start..]
        .lines()
        .skip_while(|line| !line.starts_with(header))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .collect();
    assert!(rows.len() >= min_rows, "{page}: {rows:#?}");
    for row in rows {
        let held_by = row
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .expect("a column");
        if exempt.is_some_and(|exempt| held_by.contains(exempt)) {
            continue;
        }
        let tests: Vec<&str> = held_by.split('`').skip(1).step_by(2).collect();
        assert!(!tests.is_empty(), "{page}: a line without a test: {row}");
        for test in tests {
            let (module, name) = test.split_once("::").expect("module::test");
            let (file, needle) = if module.ends_with("Test") {
                (
                    format!("{ROOT}/clients/php/tests/Laravel/{module}.php"),
                    format!("function {name}("),
                )
            } else {
                (
                    format!("{ROOT}/tests/integration/{module}.rs"),
                    format!("fn {name}("),
                )
            };
            let source =
                std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{file} for {test}"));
            assert!(
                source.contains(&needle),
                "{test} is not a test in {file}: {row}"
            );
        }
    }
}
