//! Settings people keep out of shell history and scripts come from the environment, are shown
//! in `--help`, and a secret's value is never shown there.

use assert_cmd::Command;

fn cmd() -> Command {
    let mut cmd = Command::cargo_bin("jerahook").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("JERAHOOK_COLOR")
        .env_remove("JERAHOOK_SCHEMAS")
        .env_remove("JERAHOOK_TOKEN")
        .env_remove("JERAHOOK_ADDR")
        .env_remove("JERAHOOK_FORWARD_TO")
        .env("TERM", "xterm");
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

#[test]
fn help_names_the_environment_variables_and_hides_the_token() {
    let help = stdout(
        cmd()
            .args(["listen", "--help"])
            .env("JERAHOOK_TOKEN", "s3cret-value")
            .env("JERAHOOK_ADDR", "127.0.0.1:9999"),
    );
    for name in [
        "JERAHOOK_TOKEN",
        "JERAHOOK_ADDR",
        "JERAHOOK_FORWARD_TO",
        "JERAHOOK_SCHEMAS",
        "JERAHOOK_COLOR",
    ] {
        assert!(help.contains(&format!("env: {name}")), "{name}: {help}");
    }
    assert!(!help.contains("s3cret-value"), "{help}");
}

#[test]
fn colour_and_schemas_come_from_the_environment() {
    let coloured = stdout(
        cmd()
            .args(["validate", "samples/clients.create.json"])
            .env("JERAHOOK_COLOR", "always"),
    );
    assert!(coloured.contains('\x1b'), "{coloured:?}");
    let output = cmd()
        .args(["validate", "samples/clients.create.json"])
        .env("JERAHOOK_SCHEMAS", "no/such/dir")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/dir"));
}
