//! `vantage import grafana`: every schema shape, real dashboards (Debian's
//! ceph-grafana-dashboards), inputs that are not dashboards and hostile ones.
//! The command is run as a user runs it; what it writes is checked by
//! `vantage check` and read back as TOML.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/grafana")
        .join(name)
}

fn vantage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vantage"))
        .args(args)
        .env_remove("VANTAGE_DASHBOARDS_DIR")
        .output()
        .expect("vantage runs")
}

fn import(files: &[&Path], out: &Path, json: bool) -> Output {
    let mut args = vec!["import", "grafana"];
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    let out = out.display().to_string();
    args.extend(["--out", &out]);
    if json {
        args.extend(["--report", "json"]);
    }
    vantage(&args)
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn file(dir: &Path, id: &str) -> toml::Value {
    let text = std::fs::read_to_string(dir.join(format!("{id}.toml")))
        .unwrap_or_else(|e| panic!("{id}.toml: {e}"));
    toml::from_str(&text).unwrap()
}

fn check_passes(dir: &Path) {
    let out = vantage(&["check", &dir.display().to_string()]);
    assert!(
        out.status.success(),
        "vantage check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The notes of one panel of one dashboard of a report, as "fidelity: what".
fn panel_notes(report: &Value, dashboard: usize, title: &str) -> (Option<String>, Vec<String>) {
    let panel = report["dashboards"][dashboard]["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no panel {title:?}"));
    let kind = panel["imported_as"]["kind"].as_str().map(str::to_string);
    let notes = panel["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n["fidelity"].as_str().unwrap(),
                n["what"].as_str().unwrap()
            )
        })
        .collect();
    (kind, notes)
}

fn dashboard_notes(report: &Value, dashboard: usize) -> Vec<String> {
    report["dashboards"][dashboard]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n["fidelity"].as_str().unwrap(),
                n["what"].as_str().unwrap()
            )
        })
        .collect()
}

fn has(notes: &[String], part: &str) -> bool {
    notes.iter().any(|n| n.contains(part))
}

fn panel<'a>(file: &'a toml::Value, id: &str) -> &'a toml::Value {
    file["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no panel {id} in {file:#?}"))
}

fn exprs(panel: &toml::Value) -> Vec<&str> {
    panel["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["expr"].as_str().unwrap())
        .collect()
}

#[test]
fn the_old_rows_and_the_flat_panels_import_into_files_that_pass_the_check() {
    let out = tempfile::tempdir().unwrap();
    let output = import(
        &[
            &fixture("schema14-rows.json"),
            &fixture("schema41-flat.json"),
        ],
        out.path(),
        true,
    );
    assert!(output.status.success(), "{output:?}");
    let report = report(&output);
    check_passes(out.path());

    // Schema 14: rows of graph and singlestat panels.
    assert_eq!(report["dashboards"][0]["schema_version"], 14);
    let old = file(out.path(), "node-old-rows");
    assert_eq!(old["title"].as_str(), Some("Node (old rows)"));
    let vars: Vec<(&str, &str, &str)> = old["variables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v.get("label").is_some())
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["label"].as_str().unwrap(),
                v["values_from"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        vars,
        [
            ("job", "job", "node_load1"),
            ("instance", "instance", "node_load1")
        ]
    );
    // It opens as it did in Grafana: the last 6 hours, every 30 s.
    assert_eq!(old["range"].as_str(), Some("6h"));
    assert_eq!(old["refresh"].as_str(), Some("30s"));
    let load = panel(&old, "load");
    assert_eq!(load["kind"].as_str(), Some("time_series"));
    assert_eq!(load["stacked"].as_bool(), Some(true));
    assert_eq!(load["unit"].as_str(), Some("short"));
    assert_eq!(load["width"].as_integer(), Some(6));
    // The hidden query B stays out; A's two picker matchers are its filter,
    // naming the two variables; a selector naming one gets only that one.
    assert_eq!(exprs(load), ["node_load1{$filter(job, instance)}"]);
    assert_eq!(
        load["queries"][0]["legend"].as_str(),
        Some("{{instance}} 1m")
    );
    let busy = panel(&old, "cpu-busy");
    assert_eq!(busy["kind"].as_str(), Some("stat"));
    assert_eq!(busy["unit"].as_str(), Some("ratio"));
    assert_eq!(
        exprs(busy),
        [r#"1 - avg(rate(node_cpu_seconds_total{mode="idle", $filter(job)}[$window]))"#]
    );
    let steps = busy["thresholds"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["value"].as_float(), Some(0.7));
    assert_eq!(steps[0]["level"].as_str(), Some("warning"));
    assert_eq!(steps[1]["level"].as_str(), Some("critical"));
    // The interval variable stays one: a picker of its durations.
    let window = old["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"].as_str() == Some("window"))
        .unwrap();
    assert_eq!(window["kind"].as_str(), Some("interval"));
    assert_eq!(window["default"].as_str(), Some("5m"));
    assert_eq!(window["values"].as_array().unwrap().len(), 3);
    let memory = panel(&old, "memory-free");
    assert_eq!(memory["kind"].as_str(), Some("bar"));
    assert_eq!(memory["unit"].as_str(), Some("bytes"));
    assert_eq!(memory["width"].as_integer(), Some(12));
    assert_eq!(
        exprs(memory),
        ["node_memory_MemFree_bytes{$filter(instance)}"]
    );
    let notes = dashboard_notes(&report, 0);
    for part in [
        "2 row(s)",
        "$instance's choices are every instance of node_load1",
    ] {
        assert!(has(&notes, part), "{part}: {notes:?}");
    }

    // Schema 41, wrapped as the export API writes it: flat panels, rows
    // open and collapsed, fieldConfig.
    assert_eq!(report["dashboards"][1]["schema_version"], 41);
    let flat = file(out.path(), "exporters-flat-panels");
    let names: Vec<&str> = flat["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["job"], "only variables that narrow a label");
    assert_eq!(
        flat["variables"][0]["regex"].as_str(),
        Some("node.*"),
        "Grafana's /regex/ is kept, without its slashes"
    );
    let scrape = panel(&flat, "scrape-duration");
    assert_eq!(scrape["unit"].as_str(), Some("seconds"));
    assert_eq!(scrape["stacked"].as_bool(), Some(true));
    assert_eq!(scrape["width"].as_integer(), Some(6));
    assert_eq!(
        exprs(scrape),
        ["topk(10, scrape_duration_seconds{$filter(job)})"]
    );
    assert_eq!(scrape["thresholds"]["base"].as_str(), Some("ok"));
    let (_, notes) = panel_notes(&report, 1, "Scrape duration");
    assert_eq!(scrape["decimals"].as_integer(), Some(2));
    for part in ["1 field override", r#"$topk is fixed to "10""#] {
        assert!(has(&notes, part), "{part}: {notes:?}");
    }
    // Percentage thresholds over min 0 and max 10: 50 % is 5.
    let up = panel(&flat, "targets-up");
    assert_eq!(up["thresholds"]["base"].as_str(), Some("critical"));
    assert_eq!(up["thresholds"]["steps"][0]["value"].as_float(), Some(5.0));
    assert_eq!(up["thresholds"]["steps"][0]["level"].as_str(), Some("ok"));
    // A gauge shows one query; a constant is its value, said nowhere.
    let gauge = panel(&flat, "connections-used");
    assert_eq!(gauge["kind"].as_str(), Some("gauge"));
    assert_eq!(
        exprs(gauge),
        [r#"100 * sum(pg_stat_activity_count{namespace="pg"}) / sum(pg_settings_max_connections)"#]
    );
    assert_eq!(gauge["max"].as_float(), Some(100.0));
    let (_, notes) = panel_notes(&report, 1, "Connections used");
    assert!(has(&notes, "query B: a gauge shows at most 1"), "{notes:?}");
    assert!(!has(&notes, "$ns"), "{notes:?}");
    // The collapsed row's panels.
    assert_eq!(
        panel(&flat, "redis-memory")["unit"].as_str(),
        Some("decbytes")
    );
    assert_eq!(panel(&flat, "redis-memory")["height"].as_integer(), Some(3));
    assert_eq!(panel(&flat, "up-by-job")["kind"].as_str(), Some("table"));
    assert_eq!(
        panel(&flat, "up-by-job")["queries"][0]["title"].as_str(),
        Some("Value 1")
    );
    let (kind, notes) = panel_notes(&report, 1, "Scrape histogram");
    assert_eq!(kind.as_deref(), Some("heatmap"));
    assert!(has(&notes, "repeated for each value of $job"), "{notes:?}");
    let (kind, _) = panel_notes(&report, 1, "Read me");
    assert_eq!(kind.as_deref(), Some("text"));
    assert!(panel(&flat, "read-me")["content"].as_str().is_some());
    let (kind, notes) = panel_notes(&report, 1, "Logs");
    assert_eq!(kind, None);
    assert!(has(&notes, "loki"), "{notes:?}");
    // What Vantage cannot say is left out query by query, with why.
    let range = panel(&flat, "over-the-range");
    assert_eq!(
        exprs(range),
        ["increase(up[$range]) / $range_seconds", "up{$filter(job)}"]
    );
    assert_eq!(
        range["queries"][1]["legend"].as_str(),
        Some("for anyone: {{instance}}")
    );
    let links = range["links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["dashboard"].as_str(), Some("node-old-rows"));
    let (_, notes) = panel_notes(&report, 1, "Over the range");
    for part in [
        "query B: $nobody is not one of the dashboard's variables",
        "a link that does not lead to a dashboard imported with it",
    ] {
        assert!(has(&notes, part), "{part}: {notes:?}");
    }
    let notes = dashboard_notes(&report, 1);
    for part in [
        "$DS_PROMETHEUS chose a data source",
        "$topk is not a matcher's whole value",
        "$who is in no query: left out",
        "$metric (query_result(up)): only label_values",
        "the dashboard's own links",
        "1 annotation query",
    ] {
        assert!(has(&notes, part), "{part}: {notes:?}");
    }
    assert!(!has(&notes, "$ns"), "a constant is no loss: {notes:?}");

    let totals = &report["totals"];
    assert_eq!(totals["dashboards"], 2);
    assert_eq!(totals["refused"], 0);
    assert_eq!(totals["panels"], 12);
    assert_eq!(totals["panels_left_out"], 1);

    // The text report says the same for a person.
    let output = import(&[&fixture("schema14-rows.json")], out.path(), false);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(r#"panel "Load" (graph) -> time_series load"#),
        "{text}"
    );
    assert!(
        text.contains("1 dashboard(s) imported, 0 refused; panels: 3 of 3 imported"),
        "{text}"
    );
}

#[test]
fn what_is_not_a_grafana_dashboard_is_refused_by_name_and_the_rest_still_imports() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    let not_json = write("notes.txt", b"a dashboard, honestly");
    let array = write("array.json", b"[1, 2, 3]");
    let no_panels = write("prometheus.json", br#"{"status": "success", "data": {}}"#);
    let deep = write(
        "deep.json",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes(),
    );
    let huge = write("huge.json", &vec![b' '; 17 << 20]);
    let missing = dir.path().join("missing.json");
    let out = dir.path().join("out");
    let output = import(
        &[
            &not_json,
            &array,
            &no_panels,
            &deep,
            &huge,
            &missing,
            &fixture("schema14-rows.json"),
        ],
        &out,
        true,
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report = report(&output);
    let refused: Vec<(String, String)> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["input"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |name: &str| {
        refused
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{name} not refused: {refused:?}"))
    };
    assert!(reason("notes.txt").starts_with("not JSON"), "{refused:?}");
    assert!(reason("array.json").contains("not an object"));
    assert!(reason("prometheus.json").contains("neither panels nor rows"));
    assert!(
        reason("deep.json").contains("recursion limit"),
        "{refused:?}"
    );
    assert!(reason("huge.json").contains("at most 16 MiB"));
    assert!(reason("missing.json").starts_with("cannot read it"));
    // The one dashboard among them came over.
    assert_eq!(report["totals"]["dashboards"], 1);
    check_passes(&out);
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["node-old-rows.toml"]);

    // In the text report, each refused input is named with why.
    let output = import(&[&array], &out, false);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("array.json: not imported: not a Grafana dashboard"),
        "{text}"
    );
}

#[test]
fn a_hostile_dashboard_imports_as_text_and_its_values_never_reshape_a_query() {
    let out = tempfile::tempdir().unwrap();
    let output = import(&[&fixture("hostile.json")], out.path(), true);
    assert!(output.status.success(), "{output:?}");
    check_passes(out.path());
    // The file is named from the title, never a path from the uid.
    let names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["script-alert-title-script-board.toml"]);
    let file = file(out.path(), "script-alert-title-script-board");
    // Markup stays text, exactly (Vantage renders it as text: tests/markup.rs).
    assert_eq!(
        file["title"].as_str(),
        Some("<script>alert('title')</script> Board")
    );
    let first = &file["panels"][0];
    assert_eq!(
        first["title"].as_str(),
        Some("<img src=x onerror=alert(1)>")
    );
    assert!(
        first.get("links").is_none(),
        "a javascript: link is never written"
    );
    let text =
        std::fs::read_to_string(out.path().join("script-alert-title-script-board.toml")).unwrap();
    assert!(!text.contains("javascript:"), "{text}");
    // A custom value made to break out of its matcher is a value of the
    // variable: the query names the variable, and the value reaches
    // Prometheus only as an escaped literal (query.rs' tests).
    let breakout = file["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"].as_str() == Some("Breakout"))
        .unwrap();
    assert_eq!(
        breakout["queries"][0]["expr"].as_str(),
        Some("up{$filter(job)}")
    );
    let job = &file["variables"][0];
    assert_eq!(job["kind"].as_str(), Some("custom"));
    assert_eq!(
        job["values"][0].as_str(),
        Some(r#"a"} or vector(1) or up{x=""#)
    );
}

#[test]
fn every_real_ceph_dashboard_imports_and_passes_the_check() {
    let dir = Path::new("/etc/grafana/dashboards/ceph-dashboard");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: apt-get install ceph-grafana-dashboards (scripts/setup --tests does)",
                dir.display()
            )
        })
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    inputs.sort();
    assert_eq!(inputs.len(), 13, "{inputs:?}");
    let out = tempfile::tempdir().unwrap();
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let output = import(&refs, out.path(), true);
    assert!(output.status.success(), "{output:?}");
    let report = report(&output);
    assert_eq!(report["totals"]["dashboards"], 13);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 13);
    check_passes(out.path());
    // Most panels come over; those that do not say why.
    let totals = &report["totals"];
    let (all, imported) = (
        totals["panels"].as_u64().unwrap(),
        totals["panels_imported"].as_u64().unwrap(),
    );
    assert!(imported * 10 >= all * 9, "{imported} of {all}");
    for d in report["dashboards"].as_array().unwrap() {
        for p in d["panels"].as_array().unwrap() {
            if p["imported_as"].is_null() {
                assert!(
                    !p["notes"].as_array().unwrap().is_empty(),
                    "{} left out without a reason",
                    p["title"]
                );
            }
        }
    }
}
