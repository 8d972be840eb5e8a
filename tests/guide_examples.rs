//! The guide (`docs/src/*.md`) and the README, checked as a reader meets them:
//!
//! - every shell example (a ```` ```bash ```` block) runs with the built `sonorad` first on the
//!   `PATH`, in a fresh folder per page where `tests/`, `examples/` and `docs/` of the
//!   repository are linked in, so the bundled sample's paths work as printed; the blocks of a
//!   page run in order in that folder, as a reader types them. The block must exit 0, and a
//!   ```` ```text,output ```` block right after it gives lines its output (stdout and stderr)
//!   must hold, in that order, each as part of a line.
//! - blocks marked after the language say why they do not run here: `synopsis` (a command's
//!   shape, with placeholders), `install`, `needs-slurm`, `needs-cluster`, `needs-busi-archive`,
//!   and `needs-gpu`, which runs where an adapter is required (`SONORAD_REQUIRE_GPU=1`, as in
//!   CI on lavapipe). The test prints every block it skipped and why, and the count it ran.
//! - every relative link resolves: the file exists, and a `#fragment` names a heading of the
//!   page it points at (mdBook's heading ids).
//! - the README stays short (the guide holds the detail).
//! - `mdbook build docs` succeeds where mdBook is installed (a loud skip otherwise, a failure
//!   under `SONORAD_REQUIRE_MDBOOK=1`, which `.ci/run` sets after installing it).
//!
//! The Python blocks run in `python/tests/test_guide_examples.py`, against the installed wheel.

#[path = "common/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Marks after a block's language that keep it from running here, with the reason printed.
const NOT_RUN: &[(&str, &str)] = &[
    ("synopsis", "a synopsis with placeholders"),
    ("install", "installs software"),
    (
        "needs-slurm",
        "needs a Slurm cluster (tests/slurm.rs runs these scripts)",
    ),
    ("needs-cluster", "needs a Dask cluster"),
    (
        "needs-busi-archive",
        "needs the full BUSI archive (../shared/data/busi)",
    ),
];

/// A fenced code block of a Markdown page.
#[derive(Debug)]
struct Block {
    /// The language (first word of the info string).
    language: String,
    /// The marks after it (`bash,needs-gpu` → `needs-gpu`).
    marks: Vec<String>,
    /// Line of the opening fence, from 1.
    line: usize,
    text: String,
    /// The `text,output` block right after it, if any.
    output: Option<String>,
}

/// The fenced blocks of a page, each with the output block that follows it.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut found: Vec<Block> = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut since_last_block = 0;
    while let Some((at, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                since_last_block += 1;
            }
            continue;
        };
        let mut words = info.split(',').map(|w| w.trim().to_string());
        let language = words.next().unwrap_or_default();
        let marks: Vec<String> = words.collect();
        let text: String = lines
            .by_ref()
            .take_while(|(_, l)| !l.starts_with("```"))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let is_output = language == "text" && marks.iter().any(|m| m == "output");
        match found.last_mut() {
            Some(previous) if is_output && since_last_block == 0 => previous.output = Some(text),
            _ => found.push(Block {
                language,
                marks,
                line: at + 1,
                text,
                output: None,
            }),
        }
        since_last_block = 0;
    }
    found
}

/// The pages whose examples run: the README and every page of the guide.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(format!("{ROOT}/docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages.insert(0, PathBuf::from(format!("{ROOT}/README.md")));
    pages
}

/// Why a shell block does not run here, or `None` when it runs.
fn reason_not_run(block: &Block) -> Option<String> {
    for mark in &block.marks {
        if mark == "needs-gpu" {
            if std::env::var("SONORAD_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                continue;
            }
            return Some("needs a GPU adapter (runs under SONORAD_REQUIRE_GPU=1)".into());
        }
        match NOT_RUN.iter().find(|(m, _)| m == mark) {
            Some((_, why)) => return Some(why.to_string()),
            None => panic!("unknown mark '{mark}' on a block at line {}", block.line),
        }
    }
    None
}

/// A fresh folder where the repository's `tests/`, `examples/` and `docs/` are linked in.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for linked in ["tests", "examples", "docs"] {
        std::os::unix::fs::symlink(format!("{ROOT}/{linked}"), dir.path().join(linked)).unwrap();
    }
    dir
}

/// Runs one shell block in `dir`; panics with its output when it fails or lacks a shown line.
fn run_block(page: &Path, block: &Block, dir: &Path) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sonorad")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // stderr joined to stdout in the order written, as a terminal shows them
    let script = format!("exec 2>&1\n{}", block.text);
    let run = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &script])
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap();
    let output = String::from_utf8_lossy(&run.stdout).into_owned();
    let place = format!("{}:{}", page.display(), block.line);
    assert!(
        run.status.success(),
        "{place}: exit {:?}\n{}\n{output}",
        run.status.code(),
        block.text
    );
    let Some(shown) = &block.output else { return };
    let mut actual = output.lines();
    for expected in shown.lines().map(str::trim).filter(|l| !l.is_empty()) {
        assert!(
            actual.any(|line| line.contains(expected)),
            "{place}: the page shows '{expected}', which the output lacks (in order):\n{output}"
        );
    }
}

#[test]
fn every_shell_example_of_the_guide_runs() {
    let (mut ran, mut skipped) = (0, Vec::new());
    for page in pages() {
        let dir = workspace();
        for block in blocks(&std::fs::read_to_string(&page).unwrap()) {
            if block.language != "bash" {
                continue;
            }
            let opening = page.ends_with("README.md") && block.line == 3;
            let reason = match opening {
                true => {
                    Some("the README's two opening commands; the second is this test run".into())
                }
                false => reason_not_run(&block),
            };
            match reason {
                Some(why) => {
                    let page = page.strip_prefix(ROOT).unwrap_or(&page);
                    skipped.push(format!("{}:{} ({why})", page.display(), block.line));
                }
                None => {
                    run_block(&page, &block, dir.path());
                    ran += 1;
                }
            }
        }
    }
    skip::announce(&format!(
        "{} guide examples not run here ({ran} others ran):\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    ));
    assert!(ran >= 15, "only {ran} shell examples ran");
}

/// mdBook's id of a heading: lower case, spaces to `-`, only alphanumerics, `-` and `_` kept.
fn heading_id(heading: &str) -> String {
    heading
        .replace('`', "")
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            c if c.is_whitespace() => Some('-'),
            _ => None,
        })
        .collect()
}

/// The ids of a page's headings (outside code blocks).
fn heading_ids(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut ids = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            ids.push(heading_id(line.trim_start_matches('#').trim()));
        }
    }
    ids
}

/// The targets of a page's inline links `[text](target)`, outside code blocks.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut targets = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        for piece in line.split("](").skip(1) {
            if let Some(end) = piece.find(')') {
                targets.push(piece[..end].to_string());
            }
        }
    }
    targets
}

#[test]
fn every_relative_link_of_the_guide_and_readme_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            if !file.exists() {
                broken.push(format!("{}: {target} (no such file)", page.display()));
            } else if !fragment.is_empty() {
                let ids = heading_ids(&std::fs::read_to_string(&file).unwrap());
                if !ids.iter().any(|id| id == fragment) {
                    broken.push(format!("{}: {target} (no such heading)", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 40, "only {checked} links found");
}

#[test]
fn every_page_of_the_guide_is_in_its_table_of_contents() {
    let summary = std::fs::read_to_string(format!("{ROOT}/docs/src/SUMMARY.md")).unwrap();
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_str().unwrap();
        assert!(
            name == "SUMMARY.md" || summary.contains(&format!("({name})")),
            "{name} is not in docs/src/SUMMARY.md"
        );
    }
}

#[test]
fn the_readme_is_short_and_leaves_detail_to_the_guide() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 160,
        "README.md has {lines} lines; detail belongs in docs/"
    );
    assert!(readme.starts_with(
        "# sonorad\n\n```bash\ncargo run --release -- demo\ncargo test --release\n```"
    ));
}

#[test]
fn the_guide_builds_with_mdbook() {
    let out = tempfile::tempdir().unwrap();
    let build = Command::new("mdbook")
        .args(["build", "--dest-dir"])
        .arg(out.path())
        .arg(format!("{ROOT}/docs"))
        .output();
    let Ok(build) = build else {
        if std::env::var("SONORAD_REQUIRE_MDBOOK").is_ok_and(|v| v == "1") {
            panic!("SONORAD_REQUIRE_MDBOOK=1 but mdbook is not on the PATH");
        }
        skip::announce("the guide's mdbook build needs mdbook (cargo install mdbook)");
        return;
    };
    assert!(
        build.status.success(),
        "mdbook build failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    for page in pages().iter().skip(1) {
        let stem = page.file_stem().unwrap().to_str().unwrap();
        if stem != "SUMMARY" {
            assert!(
                out.path().join(format!("{stem}.html")).exists(),
                "{stem}.html not built"
            );
        }
    }
}
