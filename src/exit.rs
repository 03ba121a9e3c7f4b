//! The process exit codes, grep's convention: scripts tell bad data from a failed tool.

use std::process::ExitCode;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: every payload valid (or the command had nothing to judge).
    Valid,
    /// 1: at least one payload invalid or malformed.
    Invalid,
    /// 2: a usage error, an unreadable path, an unknown event id or an unusable schema.
    Error,
}

impl ExitStatus {
    /// Every status, in code order.
    pub const ALL: [ExitStatus; 3] = [ExitStatus::Valid, ExitStatus::Invalid, ExitStatus::Error];

    /// What the code tells a script, as `--help`, the man page and README's Exit codes say it.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Valid => {
                "every payload valid; for send, every request answered 2xx; for test-handler, \
                 every case passed"
            }
            ExitStatus::Invalid => {
                "at least one payload invalid or malformed, or an input held no payload; for \
                 send, a request that failed or was not answered 2xx; for test-handler, a case \
                 that failed"
            }
            ExitStatus::Error => {
                "usage error, unreadable path (the other paths are still read), unknown event \
                 id, unusable --schemas directory, a handler that cannot be reached or stops \
                 answering, or test-handler's --max-time run out; the message on stderr names \
                 the path, id or URL"
            }
        }
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Valid => 0,
            ExitStatus::Invalid => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// The exit codes for the end of `--help`, each meaning wrapped under its code with a hanging
/// indent (clap's own wrapping would lose the indent).
pub fn help() -> String {
    let mut text = String::from("Exit codes:");
    for status in ExitStatus::ALL {
        text.push_str(&format!("\n  {}  ", status.code()));
        let mut column = 5;
        for (i, word) in status.meaning().split(' ').enumerate() {
            if i > 0 && column + 1 + word.len() > HELP_WIDTH {
                text.push_str("\n     ");
                column = 5;
            } else if i > 0 {
                text.push(' ');
                column += 1;
            }
            text.push_str(word);
            column += word.len();
        }
    }
    text
}

/// clap wraps help to the terminal; lines this short stay as they are on 80 columns or more.
const HELP_WIDTH: usize = 79;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code_under_the_width() {
        let help = help();
        assert!(
            help.lines().all(|line| line.chars().count() <= HELP_WIDTH),
            "{help}"
        );
        for status in ExitStatus::ALL {
            assert!(help.contains(&format!("\n  {}  ", status.code())), "{help}");
        }
        let words: Vec<&str> = help.split_whitespace().collect();
        let meanings: Vec<String> = ExitStatus::ALL
            .iter()
            .flat_map(|s| {
                [s.code().to_string()]
                    .into_iter()
                    .chain(s.meaning().split(' ').map(String::from))
            })
            .collect();
        assert_eq!(
            words[2..],
            meanings.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
    }
}
