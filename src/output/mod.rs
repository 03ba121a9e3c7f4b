//! Output: records and summaries made readable. `inspect` picks out what a person wants to see
//! of a payload, `render` writes records, summaries and views as text or JSON, `escape` keeps
//! payload text from steering the terminal, `junit` and `github` write JUnit XML
//! reports and GitHub Actions annotations for CI. Nothing
//! else in the validator's path writes to the terminal.

pub mod escape;
pub mod github;
pub mod inspect;
pub mod junit;
pub mod render;
