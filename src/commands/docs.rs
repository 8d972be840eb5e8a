//! The command line's documentation beyond its flags: the example that ends each `--help`, shell
//! completions and manual pages. Completions and pages are made at run time from the binary's own
//! clap definition, so a flag added to `sonorad` appears in all of them with no second copy to
//! keep in step, and a packager runs the installed binary to get them.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::builder::styling::Styles;
use clap::builder::StyledStr;
use clap::Command;
use clap_mangen::roff::{roman, Roff};
use clap_mangen::Man;

pub use clap_complete::Shell;

/// Heading of the section that [`example`] makes, as `--help` shows it and the tests look for it.
pub const EXAMPLE_HEADING: &str = "Example:";

/// The text that ends a command's help: the [`EXAMPLE_HEADING`] (styled as clap styles its
/// "Usage:" and "Options:"), then `comment` as a shell comment and `command_line`, both
/// indented, so that the two lines can be pasted into a shell as they are.
pub fn example(comment: &str, command_line: &str) -> StyledStr {
    let header = *Styles::default().get_header();
    format!("{header}{EXAMPLE_HEADING}{header:#}\n  # {comment}\n  {command_line}").into()
}

/// Writes the completion script of `shell` for `command` (the `sonorad` command line).
pub fn completions(shell: Shell, command: &mut Command, out: &mut dyn Write) {
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, command, name, out);
}

/// Writes the manual page of `command`, or of its subcommand `sub`, as roff. The page's name is
/// `sonorad` or `sonorad-<sub>` (man's convention for subcommands, as in `git-commit(1)`).
pub fn man_page(command: Command, sub: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let mut command = command.disable_help_subcommand(true);
    // Building names the subcommands `sonorad-<sub>` and completes their usage lines.
    command.build();
    let source = source(&command);
    let page = match sub {
        None => command,
        Some(name) => command.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<_> = command.get_subcommands().map(Command::get_name).collect();
            io::Error::other(format!("no command {name:?} (one of {})", names.join(", ")))
        })?,
    };
    render(page, &source, out)
}

/// Writes the manual pages of `command` and of each of its subcommands into `dir` (created when
/// missing): `sonorad.1` and `sonorad-<sub>.1`, the files a package installs into `man1/`.
/// Returns the paths written, the top page first.
pub fn man_pages(command: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let source = source(&command);
    let pages = std::iter::once(command.clone()).chain(command.get_subcommands().cloned());
    let mut written = Vec::new();
    for page in pages.filter(|p| !p.is_hide_set()) {
        let path = dir.join(Man::new(page.clone()).get_filename());
        let mut file = io::BufWriter::new(std::fs::File::create(&path)?);
        render(page, &source, &mut file)?;
        file.flush()?;
        written.push(path);
    }
    Ok(written)
}

/// The program and version that every page's footer names: clap_mangen takes them from the page's
/// own command, and a subcommand has neither version nor the program's name.
fn source(command: &Command) -> String {
    format!(
        "{} {}",
        command.get_name(),
        command.get_version().unwrap_or_default()
    )
}

/// Renders one page as clap_mangen does, the help's example going into an EXAMPLE section
/// before VERSION: clap_mangen would print it under "EXTRA" as filled text, which joins the
/// comment and the command line into one paragraph; here they keep their lines (`.nf`).
fn render(page: Command, source: &str, out: &mut dyn Write) -> io::Result<()> {
    let example = page.get_after_help().map(|text| text.to_string());
    let mut text = Vec::new();
    Man::new(page.after_help(None::<&str>))
        .source(source)
        .render(&mut text)?;
    let mut text = String::from_utf8(text).map_err(io::Error::other)?;
    if let Some(example) = example {
        let mut roff = Roff::new();
        roff.control("SH", ["EXAMPLE"]).control("nf", []);
        for line in example.lines().filter(|l| l.trim() != EXAMPLE_HEADING) {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
        // Every rendering starts with the apostrophe preamble that an empty one consists of;
        // the page has it already.
        let section = roff.render();
        let section = section
            .strip_prefix(&Roff::new().render())
            .unwrap_or(&section);
        let at = text.find("\n.SH VERSION\n").map_or(text.len(), |i| i + 1);
        text.insert_str(at, section);
    }
    out.write_all(text.as_bytes())
}
