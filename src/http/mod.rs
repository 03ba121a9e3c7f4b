//! HTTP: payloads on the wire. `listen` receives what VCS posts (judging, saving and forwarding
//! it), `send` replays payloads to a handler, `test-handler` fires the conformance cases at a
//! handler and `verdicts` reads its answers, `latency` summarises their timings. `listen` is
//! built from `server` (connections, timeouts, the stop), `forward` (the real handler),
//! `capture` (the save file), `printer` (output that never holds up a reply) and `clock`;
//! `ui` serves the inspector page over the requests `history` keeps.

mod capture;
mod clock;
mod forward;
mod history;
pub mod latency;
pub mod lines;
pub mod listen;
mod printer;
pub mod send;
pub mod server;
pub mod test_handler;
pub mod ui;
pub mod verdicts;
pub mod wire;
