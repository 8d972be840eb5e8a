//! PyRadiomics' command-line logging: `[YYYY-MM-DD HH:MM:SS] L: logger: message` lines on
//! stderr from level `(6 − verbosity) × 10` up (WARNING by default), and with `--log-file`
//! appended to that file from `--logging-level` up, so that log readers written for
//! PyRadiomics read sonorad's. Times are UTC.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Python's logging levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// 10.
    Debug = 10,
    /// 20.
    Info = 20,
    /// 30.
    Warning = 30,
    /// 40.
    Error = 40,
}

impl Level {
    fn letter(self) -> char {
        match self {
            Level::Debug => 'D',
            Level::Info => 'I',
            Level::Warning => 'W',
            Level::Error => 'E',
        }
    }
}

/// Where the command's log lines go.
pub struct Logger {
    /// Lowest level written to stderr, as Python's level number.
    console: u32,
    /// The log file and its lowest level.
    file: Option<(Mutex<File>, u32)>,
    /// Serialises whole lines on stderr between case threads.
    stderr: Mutex<()>,
}

impl Logger {
    /// A logger for `--verbosity` (1 to 5) and, optionally, `--log-file` at `--logging-level`
    /// (a Python level number).
    pub fn new(verbosity: u8, file: Option<(&Path, u32)>) -> std::io::Result<Logger> {
        let file = match file {
            Some((path, level)) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                Some((Mutex::new(f), level))
            }
            None => None,
        };
        Ok(Logger {
            console: (6u32.saturating_sub(u32::from(verbosity))) * 10,
            file,
            stderr: Mutex::new(()),
        })
    }

    /// A logger that writes nothing (for library callers and tests).
    pub fn silent() -> Logger {
        Logger {
            console: u32::MAX,
            file: None,
            stderr: Mutex::new(()),
        }
    }

    /// Logs `message` from logger `name` (`radiomics.script`, ...) at `level`.
    pub fn log(&self, level: Level, name: &str, message: &str) {
        let number = level as u32;
        let wanted_console = number >= self.console;
        let wanted_file = self.file.as_ref().is_some_and(|(_, l)| number >= *l);
        if !wanted_console && !wanted_file {
            return;
        }
        let line = line(level, name, message);
        if wanted_console {
            let _guard = self.stderr.lock();
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        if let (true, Some((file, _))) = (wanted_file, &self.file) {
            if let Ok(mut f) = file.lock() {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }

    /// Whether a message at `level` reaches stderr.
    pub fn shows(&self, level: Level) -> bool {
        level as u32 >= self.console
    }

    /// A warning of the `radiomics.script` logger.
    pub fn warning(&self, message: &str) {
        self.log(Level::Warning, "radiomics.script", message);
    }

    /// An error of the `radiomics.script` logger.
    pub fn error(&self, message: &str) {
        self.log(Level::Error, "radiomics.script", message);
    }

    /// An info line of the `radiomics.script` logger.
    pub fn info(&self, message: &str) {
        self.log(Level::Info, "radiomics.script", message);
    }
}

/// One log line, time-stamped now.
pub fn line(level: Level, name: &str, message: &str) -> String {
    format!(
        "[{}] {}: {name}: {message}\n",
        timestamp(SystemTime::now()),
        level.letter()
    )
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
fn timestamp(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_times() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00");
        // 2026-12-05 15:09:34 UTC (`date -d @1796483374 -u`)
        let at = UNIX_EPOCH + Duration::from_secs(1_796_483_374);
        assert_eq!(timestamp(at), "2026-12-05 15:09:34");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29 00:00:00");
    }
}
