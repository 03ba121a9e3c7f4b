//! Every conformance case `test-handler` sends is a payload `validate` judges valid: a handler
//! that fails a case fails on something VCS may send, never on a malformed test.

use jerahook::catalog::cases::{self, Fresh, Variant};
use jerahook::catalog::{EVENTS, Event};
use jerahook::codes::Code;
use jerahook::schemas::SchemaSet;
use jerahook::validate::{self, Options};

#[test]
fn every_case_is_valid_and_warns_only_of_an_old_name() {
    let events: Vec<&'static Event> = EVENTS.iter().collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let cases = cases::generate(&events, &Fresh::at(now, 3));
    let schemas = SchemaSet::built_in();
    let mut payloads = 0;
    for case in &cases {
        for payload in &case.payloads {
            let verdict = validate::check(payload, &schemas, Options::default()).unwrap();
            assert!(
                verdict.errors.is_empty(),
                "{}: {:?}\n{payload}",
                case.name(),
                verdict.errors
            );
            let warnings: Vec<Code> = verdict.warnings.iter().map(|w| w.code).collect();
            let expected = if case.variant == Variant::OldName {
                vec![Code::OldEventName]
            } else {
                vec![]
            };
            assert_eq!(
                warnings,
                expected,
                "{}: {:?}",
                case.name(),
                verdict.warnings
            );
            payloads += 1;
        }
    }
    assert!(cases.len() > 27 * 8, "only {} cases", cases.len());
    assert!(payloads > cases.len());
}
