//! The judge: from a document to a verdict. `schemas` compiles the event schemas, `validate`
//! judges a piece into a `report::Record` with the help of `fast` (a valid payload passed while
//! it is read, no document built), `checks` (domain rules), `messages` (sentences), `locate`
//! (line and column) and `codes` (stable codes). It hands records on to the output stage and
//! the HTTP commands.

pub mod checks;
pub mod codes;
pub mod fast;
pub mod locate;
pub mod messages;
pub mod report;
pub mod schemas;
pub mod validate;
