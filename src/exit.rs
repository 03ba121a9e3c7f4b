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
