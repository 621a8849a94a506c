//! `policy eval`: decide every case of a JSON-lines file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

use super::case::parse_case;
use super::fail;
use crate::authz::Decision;
use crate::security::settings::Settings;
/// Writes a decision as one JSON line.
pub(super) fn write_decision(
    out: &mut impl Write,
    id: &Value,
    decision: &Decision<'_>,
) -> io::Result<()> {
    out.write_all(b"{\"id\": ")?;
    serde_json::to_writer(&mut *out, id)?;
    out.write_all(if decision.allowed {
        b", \"allowed\": true, \"rule\": "
    } else {
        b", \"allowed\": false, \"rule\": "
    })?;
    match decision.rule {
        Some(rule) => write!(out, "{rule}")?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b", \"reason\": ")?;
    serde_json::to_writer(&mut *out, &decision.reason())?;
    out.write_all(b"}\n")
}

/// Decides every case of `input`, writing one line per good case to `out` and
/// `line N: problem` per bad one to `err`. Returns the number of bad lines.
pub(super) fn eval_cases(
    policies: &Settings,
    mut input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<usize> {
    let mut line = Vec::with_capacity(256);
    let mut number = 0usize;
    let mut bad = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match parse_case(text) {
            Ok((id, case)) => write_decision(out, &id, &case.decide(policies))?,
            Err(problem) => {
                bad += 1;
                writeln!(err, "line {number}: {problem}")?;
            }
        }
    }
    Ok(bad)
}

pub(super) fn eval(policies: &Settings, cases: &Path) -> ExitCode {
    let stdin = io::stdin();
    let input: Box<dyn BufRead> = if cases == Path::new("-") {
        Box::new(stdin.lock())
    } else {
        match File::open(cases) {
            Ok(file) => Box::new(BufReader::with_capacity(64 * 1024, file)),
            Err(e) => return fail(&format!("cannot read {}: {e}", cases.display())),
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let result = eval_cases(policies, input, &mut out, &mut err).and_then(|bad| {
        out.flush()?;
        Ok(bad)
    });
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(bad) => {
            let _ = writeln!(
                err,
                "error: {bad} malformed line{}",
                if bad == 1 { "" } else { "s" }
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            let _ = out.flush();
            fail(&format!("reading {}: {e}", cases.display()))
        }
    }
}
