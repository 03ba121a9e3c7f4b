//! The catalog: what VCS sends. The 27 events and the records they carry, the date-time forms
//! VCS writes, and the generator that turns all of it into JSON Schema. It depends on nothing
//! else in the crate; every other stage reads it.

pub mod cases;
pub mod datetime;
pub mod events;
pub mod generate;
pub mod records;

pub use events::*;
