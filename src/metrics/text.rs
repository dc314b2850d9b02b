//! OpenMetrics text (what `prometheus_client` writes) to the Prometheus
//! text format 0.0.4 (what `promtool check metrics`, older scrapers and
//! `curl` readers expect).
//!
//! The two differ, for what DCE exposes, in three ways: an OpenMetrics
//! counter family is named without `_total` while its samples carry it
//! (0.0.4 names the family as the samples are named); `# UNIT` and
//! `# EOF` do not exist in 0.0.4; `unknown` is 0.0.4's `untyped`.

/// Converts one OpenMetrics exposition to the Prometheus text format.
pub fn to_prometheus(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len() + 256);
    // A family's HELP comes before its TYPE, which decides its name.
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            flush_help(&mut out, help.take(), None);
            help = Some(rest.split_once(' ').unwrap_or((rest, "")));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (suffix, kind) = match kind {
                "counter" => ("_total", "counter"),
                "info" => ("_info", "gauge"),
                "unknown" => ("", "untyped"),
                "gaugehistogram" => ("", "histogram"),
                other => ("", other),
            };
            match help.take() {
                Some((h, text)) if h == name => flush_help(&mut out, Some((h, text)), Some(suffix)),
                other => flush_help(&mut out, other, None),
            }
            out.push_str("# TYPE ");
            out.push_str(name);
            out.push_str(suffix);
            out.push(' ');
            out.push_str(kind);
            out.push('\n');
        } else if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        } else {
            flush_help(&mut out, help.take(), None);
            out.push_str(line);
            out.push('\n');
        }
    }
    flush_help(&mut out, help, None);
    out
}

fn flush_help(out: &mut String, help: Option<(&str, &str)>, suffix: Option<&str>) {
    if let Some((name, text)) = help {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push_str(suffix.unwrap_or(""));
        out.push(' ');
        out.push_str(text);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_take_their_samples_name_units_and_eof_go() {
        let om = "# HELP dce_calls_arrived INVITEs that became calls.\n\
                  # TYPE dce_calls_arrived counter\n\
                  dce_calls_arrived_total 3\n\
                  # HELP dce_invite_delay_seconds INVITE in to out.\n\
                  # TYPE dce_invite_delay_seconds histogram\n\
                  # UNIT dce_invite_delay_seconds seconds\n\
                  dce_invite_delay_seconds_sum 0.5\n\
                  dce_invite_delay_seconds_count 1\n\
                  dce_invite_delay_seconds_bucket{le=\"+Inf\"} 1\n\
                  # HELP dce_build info\n\
                  # TYPE dce_build info\n\
                  dce_build_info{version=\"1\"} 1\n\
                  # HELP dce_x something\n\
                  # TYPE dce_x unknown\n\
                  dce_x 1\n\
                  # EOF\n";
        assert_eq!(
            to_prometheus(om),
            "# HELP dce_calls_arrived_total INVITEs that became calls.\n\
             # TYPE dce_calls_arrived_total counter\n\
             dce_calls_arrived_total 3\n\
             # HELP dce_invite_delay_seconds INVITE in to out.\n\
             # TYPE dce_invite_delay_seconds histogram\n\
             dce_invite_delay_seconds_sum 0.5\n\
             dce_invite_delay_seconds_count 1\n\
             dce_invite_delay_seconds_bucket{le=\"+Inf\"} 1\n\
             # HELP dce_build_info info\n\
             # TYPE dce_build_info gauge\n\
             dce_build_info{version=\"1\"} 1\n\
             # HELP dce_x something\n\
             # TYPE dce_x untyped\n\
             dce_x 1\n"
        );
    }

    #[test]
    fn a_help_text_with_spaces_and_escapes_is_kept_whole() {
        let om = "# HELP a_b Line one\\nand \\\\ more words.\n# TYPE a_b gauge\na_b 1\n# EOF\n";
        assert_eq!(
            to_prometheus(om),
            "# HELP a_b Line one\\nand \\\\ more words.\n# TYPE a_b gauge\na_b 1\n"
        );
    }
}
