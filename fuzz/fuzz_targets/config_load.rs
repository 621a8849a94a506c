//! Config loading: YAML text to a validated config, as `serve` and
//! `policy check` do (environment substitution included, with a fixed
//! environment). Either errors or settings, never a panic, whatever the text
//! (serde-saphyr's budget bounds alias bombs and nesting).
#![no_main]

use auth_runtime::config::Config;
use auth_runtime::Settings;
use libfuzzer_sys::fuzz_target;

fn env(name: &str) -> Option<String> {
    match name {
        "TOKEN" => Some("secret".into()),
        "EMPTY" => Some(String::new()),
        "YAML" => Some("{type: api_keys}".into()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text, "fuzz.yaml", &env) else {
        return;
    };
    let _ = config.warnings();
    if let Ok(settings) = Settings::from_config(&config) {
        let _ = settings.authentication();
    }
});
