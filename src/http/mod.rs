//! HTTP: payloads on the wire. `listen` receives what VCS posts (judging, saving and forwarding
//! it), `send` replays payloads to a handler, `test-handler` fires the conformance cases at a
//! handler and `verdicts` reads its answers, `latency` summarises their timings.

pub mod latency;
pub mod lines;
pub mod listen;
pub mod send;
pub mod test_handler;
pub mod verdicts;
pub mod wire;
