//! The command line's own documentation: the example that ends every `--help` (each one run),
//! the shell completions and the manual pages.

#[path = "common/run.rs"]
#[allow(dead_code)] // extract_succeeds serves the extraction tests
mod run;
#[path = "common/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use run::sonorad;
use sonorad::commands::docs::EXAMPLE_HEADING;

/// The order in which the examples run in one folder: each one's inputs are the outputs of
/// examples before it (`cohort/` of `generate`, `features.csv` of `extract`, `study/` of
/// `train`). "" is the top-level `sonorad --help`.
const EXAMPLE_ORDER: [&str; 13] = [
    "",
    "generate",
    "extract",
    "train",
    "predict",
    "merge",
    "map",
    "pyradiomics",
    "info",
    "bench",
    "demo",
    "completions",
    "man",
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn succeeds(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text(&out.stdout)
}

/// The subcommands that `sonorad --help` lists, but `help`.
fn subcommands() -> Vec<String> {
    let help = succeeds(sonorad(&["--help"]), "sonorad --help");
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(|line| line.split_whitespace().next().unwrap().to_string())
        .filter(|name| name != "help")
        .collect()
}

/// `sonorad [sub] FLAG` (FLAG `--help` or `-h`).
fn help(sub: &str, flag: &str) -> String {
    let args: Vec<&str> = [sub, flag].into_iter().filter(|a| !a.is_empty()).collect();
    succeeds(sonorad(&args), &format!("sonorad {sub} {flag}"))
}

/// The comment and command line of the example that ends a help text, checking the form: the
/// [`EXAMPLE_HEADING`], then `  # comment` and `  sonorad ...`, and nothing after.
fn example(help: &str, sub: &str) -> (String, String) {
    let lines: Vec<&str> = help.trim_end().lines().collect();
    let [.., heading, comment, command_line] = lines[..] else {
        panic!("`sonorad {sub} --help` is too short:\n{help}");
    };
    assert_eq!(heading, EXAMPLE_HEADING, "`sonorad {sub} --help`:\n{help}");
    let comment = comment
        .strip_prefix("  # ")
        .unwrap_or_else(|| panic!("`sonorad {sub}`: not a `  # ` comment: {comment:?}"));
    let command_line = command_line
        .strip_prefix("  ")
        .unwrap_or_else(|| panic!("`sonorad {sub}`: not indented: {command_line:?}"));
    let program = format!("sonorad {sub}");
    let program = program.trim_end();
    assert!(
        command_line == program || command_line.starts_with(&format!("{program} ")),
        "`sonorad {sub}`'s example runs another command: {command_line}"
    );
    (comment.to_string(), command_line.to_string())
}

/// Whether `program` can be run here (`program --version` starts).
fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

#[test]
fn every_help_ends_with_its_example() {
    let mut subs = subcommands();
    subs.sort();
    let mut ordered: Vec<String> = EXAMPLE_ORDER[1..].iter().map(|s| s.to_string()).collect();
    ordered.sort();
    assert_eq!(
        subs, ordered,
        "EXAMPLE_ORDER must list every subcommand, where its example's inputs exist"
    );
    for sub in EXAMPLE_ORDER {
        let long = example(&help(sub, "--help"), sub);
        let short = example(&help(sub, "-h"), sub);
        assert_eq!(
            long, short,
            "`sonorad {sub}`: -h and --help show other examples"
        );
    }
}

/// Runs every example with bash, in the order of [`EXAMPLE_ORDER`], in one temporary folder that
/// holds `tests/` (a link to the repository's, for the examples that read the bundled sample)
/// and is `$HOME`, with the built `sonorad` first on `PATH`. The two inputs that no example
/// writes are made first: the shards that `merge` joins (its comment says how) and
/// bash-completion's folder under `$HOME`, which `completions` writes into.
#[cfg(unix)]
#[test]
fn every_example_runs() {
    if !have("bash") {
        skip::announce("every_example_runs: no bash to run the examples with");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
        root.join("tests"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join(".local/share/bash-completion/completions")).unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_sonorad"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let bash = |script: &str| {
        Command::new("bash")
            .args(["-c", script])
            .current_dir(root)
            .env("PATH", &path)
            .env("HOME", root)
            .output()
            .unwrap()
    };
    let mut failed = Vec::new();
    for sub in EXAMPLE_ORDER {
        let (comment, command_line) = example(&help(sub, "--help"), sub);
        if sub == "merge" {
            for k in 1..=2 {
                let shard = format!(
                    "sonorad extract --manifest cohort/manifest.csv --shard {k}/2 --out shard-{k}.csv"
                );
                succeeds(bash(&shard), &shard);
            }
        }
        let out = bash(&command_line);
        if !out.status.success() {
            failed.push(format!(
                "# {comment}\n{command_line}\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "examples that failed:\n{}",
        failed.join("\n")
    );
    // What the examples say they write.
    for written in [
        "busi-features.csv",
        "cohort/manifest.csv",
        "features.csv",
        "study/model.json",
        "predictions.csv",
        "merged.csv",
        "maps/index.html",
        "benign2.csv",
        "sonorad-demo/report.html",
        ".local/share/bash-completion/completions/sonorad",
        "man/sonorad.1",
        "man/sonorad-extract.1",
    ] {
        assert!(root.join(written).is_file(), "no {written}");
    }
}

#[test]
fn bash_completions_parse_and_complete_every_subcommand() {
    let script = succeeds(sonorad(&["completions", "bash"]), "completions bash");
    let subs = subcommands();
    for sub in &subs {
        assert!(
            script.contains(&format!("sonorad,{sub})")),
            "the bash script does not name {sub}"
        );
    }
    if !have("bash") {
        skip::announce("bash completions: no bash, so neither `bash -n` nor a completion ran");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sonorad.bash");
    std::fs::write(&file, &script).unwrap();
    succeeds(
        Command::new("bash").arg("-n").arg(&file).output().unwrap(),
        "bash -n on the completion script",
    );
    // What bash offers for an empty word after `words`, as bash calls the function: the
    // command, the word being completed and the one before it.
    let complete = |words: &[&str]| {
        let shell = format!(
            "source '{}'; COMP_WORDS=({} ''); COMP_CWORD={}; _sonorad sonorad '' {}; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display(),
            words.join(" "),
            words.len(),
            words[words.len() - 1]
        );
        let out = Command::new("bash").args(["-c", &shell]).output().unwrap();
        succeeds(out, &shell)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let offered = complete(&["sonorad"]);
    for sub in &subs {
        assert!(
            offered.contains(sub),
            "`sonorad <TAB>` does not offer {sub}: {offered:?}"
        );
    }
    let shells = complete(&["sonorad", "completions"]);
    for shell in ["bash", "elvish", "fish", "powershell", "zsh"] {
        assert!(
            shells.iter().any(|s| s == shell),
            "`sonorad completions <TAB>`: {shells:?}"
        );
    }
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = succeeds(sonorad(&["completions", shell]), shell);
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell}: no {sub}");
        }
    }
    // Shells that can check a script's syntax without running it.
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        if !have(shell) {
            skip::announce(&format!(
                "{shell} completions: no {shell} to check their syntax"
            ));
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sonorad");
        let script = succeeds(sonorad(&["completions", shell]), shell);
        std::fs::write(&file, script).unwrap();
        succeeds(
            Command::new(shell).arg(check).arg(&file).output().unwrap(),
            &format!("{shell} {check}"),
        );
    }
}

#[test]
fn man_pages_are_written_and_render() {
    let dir = tempfile::tempdir().unwrap();
    succeeds(
        sonorad(&["man", "--out-dir", &dir.path().display().to_string()]),
        "man --out-dir",
    );
    let subs = subcommands();
    let mut expected: Vec<String> = subs.iter().map(|s| format!("sonorad-{s}.1")).collect();
    expected.push("sonorad.1".into());
    expected.sort();
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, expected);
    let top = std::fs::read_to_string(dir.path().join("sonorad.1")).unwrap();
    // Standard output gives the same pages.
    assert_eq!(succeeds(sonorad(&["man"]), "man"), top);
    for sub in &subs {
        assert!(
            top.contains(&format!("sonorad\\-{sub}(1)")),
            "sonorad(1) does not list sonorad-{sub}(1)"
        );
        let page = std::fs::read_to_string(dir.path().join(format!("sonorad-{sub}.1"))).unwrap();
        assert_eq!(succeeds(sonorad(&["man", sub]), sub), page);
    }
    for name in &expected {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let title = name.trim_end_matches(".1");
        for needed in [
            // The footer names the program and version on every page.
            format!(".TH {title} 1  \"sonorad {}\"", env!("CARGO_PKG_VERSION")),
            ".SH NAME".into(),
            ".SH SYNOPSIS".into(),
            ".SH EXAMPLE\n.nf\n  # ".into(),
        ] {
            assert!(page.contains(&needed), "{name} has no {needed:?}");
        }
    }
    if !have("groff") {
        skip::announce("man pages: no groff, so only their roff structure was checked");
        return;
    }
    for name in &expected {
        // -k: the pages are UTF-8 (→, ≥); -ww: every warning; -z: format, print nothing.
        let out = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        let stderr = succeeds_stderr(out, name);
        assert!(stderr.is_empty(), "groff warns about {name}:\n{stderr}");
    }
}

fn succeeds_stderr(out: Output, what: &str) -> String {
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{what}: {}\n{stderr}", out.status);
    stderr
}

#[test]
fn man_names_the_commands_when_given_another() {
    let out = sonorad(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no command \"nope\" (one of extract,"),
        "{stderr}"
    );
}
