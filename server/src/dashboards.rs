//! Dashboards as files: the built-in ones shipped in `dashboards/`, plus any the
//! operator keeps in a folder of their own (`dashboards_dir`), reloaded when
//! they change. A file that breaks keeps its last good version serving, and the
//! reason is kept for `/api/dashboards` and the logs.

pub mod file;
pub mod markdown;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

use app::model::{DashboardSummary, DashboardView, PanelView};
use tokio_util::sync::CancellationToken;

use crate::{config::BuiltinDashboards, file_watch::FileChanges};

pub use file::FileProblem;

/// A dashboard as loaded: what pages see, plus what only the server knows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub view: DashboardView,
    pub variables: Vec<Variable>,
    pub panels: Vec<Panel>,
    /// Which alerts and health changes its charts mark.
    pub annotations: AnnotationRule,
    /// The subfolder of the operator's folder its file is in, if any.
    pub folder: Option<String>,
}

/// Which alerts and health-check changes a dashboard's charts mark
/// (`annotations` in its file; docs/dashboards.md).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum AnnotationRule {
    /// None: a dashboard about hosts has no business with every service's alerts.
    #[default]
    None,
    /// Those of the services the view is narrowed to by the variable on this
    /// label (every service when it is not narrowed).
    ByService { label: String },
    /// Alerts whose labels include all of these (health changes have none).
    Labels(std::collections::BTreeMap<String, String>),
    /// Every alert and every health change.
    All,
}

impl Dashboard {
    pub fn id(&self) -> &str {
        &self.view.id
    }

    pub fn panel(&self, id: &str) -> Option<&Panel> {
        self.panels.iter().find(|p| p.view.id == id)
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Variable {
    /// The query-string key.
    pub name: String,
    pub title: String,
    /// The Prometheus label it narrows (query, custom and text box kinds).
    pub label: String,
    pub kind: VariableKind,
}

/// Where a variable's choices come from, and what it does to queries:
/// the first three narrow `label` through `$filter`; the last two fill
/// `$name` in templates.
#[derive(Debug, Clone)]
pub enum VariableKind {
    /// The label values of a metric or selector, narrowed by a regex (its
    /// first group, if it has one, is the value).
    Query {
        values_from: String,
        regex: Option<regex::Regex>,
    },
    /// The file's list of values.
    Custom { values: Vec<String> },
    /// Free text, matched as a literal value of the label.
    TextBox { default: Option<String> },
    /// One duration of the file's list, for `[$name]` windows.
    Interval {
        values: Vec<String>,
        default: String,
    },
    /// The file's value, the same for every viewer.
    Constant { value: String },
}

impl Variable {
    /// Whether it narrows a label (rather than filling `$name`).
    pub fn is_matcher(&self) -> bool {
        matches!(
            self.kind,
            VariableKind::Query { .. } | VariableKind::Custom { .. } | VariableKind::TextBox { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryTemplate {
    pub expr: String,
    pub legend: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub view: PanelView,
    pub queries: Vec<QueryTemplate>,
    pub source: PanelSource,
}

/// Where a panel's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanelSource {
    /// Its queries, sent to Prometheus.
    #[default]
    Prometheus,
    /// The number of firing alerts as the Alerts page (and the navigation's
    /// badge) counts them: Vantage's, Prometheus' rules' and Alertmanager's.
    Alerts,
    /// None: what it shows is in its file (a text panel's Markdown).
    Content,
}

/// The built-in dashboards, compiled in so the binary needs no files at run time.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("overview", include_str!("../../dashboards/overview.toml")),
    ("api", include_str!("../../dashboards/api.toml")),
    ("system", include_str!("../../dashboards/system.toml")),
    (
        "infrastructure",
        include_str!("../../dashboards/infrastructure.toml"),
    ),
];

/// The dashboards in force.
#[derive(Debug, Default)]
pub struct Catalog {
    /// In navigation order: built-ins in their order, then the operator's by
    /// file name. A handful, so a list beats a map.
    dashboards: Vec<Arc<Dashboard>>,
    /// Files that failed to load, with why; their last good version (if any) serves.
    pub problems: Vec<FileProblem>,
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<Arc<Dashboard>> {
        self.dashboards.iter().find(|d| d.id() == id).cloned()
    }

    /// The mistake of the file that would be dashboard `id` (file named
    /// without its folder), if it has one.
    pub fn problem_of(&self, id: &str) -> Option<FileProblem> {
        self.problems
            .iter()
            .find(|p| Path::new(&p.file).file_stem().and_then(|s| s.to_str()) == Some(id))
            .map(FileProblem::file_name_only)
    }

    pub fn summaries(&self) -> Vec<DashboardSummary> {
        self.dashboards
            .iter()
            .map(|d| DashboardSummary {
                id: d.view.id.clone(),
                title: d.view.title.clone(),
                folder: d.folder.clone(),
                range: d.view.range,
                refresh: d.view.refresh,
            })
            .collect()
    }
}

/// The built-in dashboards; a broken one is a bug caught by the tests.
pub fn built_in() -> Result<Vec<Dashboard>, FileProblem> {
    BUILT_IN
        .iter()
        .map(|(id, text)| file::parse(&format!("dashboards/{id}.toml"), id, text))
        .collect()
}

/// Every `*.toml` in `dir`, each parsed on its own: (path, result).
/// A file of the operator's folder and what reading it gave.
pub type ReadFile = (PathBuf, Result<Dashboard, FileProblem>);

pub fn read_dir(dir: &Path) -> Result<Vec<ReadFile>, FileProblem> {
    Ok(toml_files(dir)?
        .into_iter()
        .map(|path| {
            let result = read_one(&path);
            (path, result)
        })
        .collect())
}

/// The `*.toml` files of a folder and of its subfolders (one level: a
/// subfolder is a folder in the navigation), the folder's own first, each
/// group in name order.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, FileProblem> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| FileProblem::new(dir.display().to_string(), "(folder)", e.to_string()))?;
    let (mut files, mut folders) = (Vec::new(), Vec::new());
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            folders.push(path);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();
    folders.sort();
    for folder in folders {
        let mut inside: Vec<PathBuf> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect();
        inside.sort();
        files.extend(inside);
    }
    Ok(files)
}

/// The folder a dashboard file of `dir` is in, when it is a subfolder's.
fn folder_of(dir: &Path, path: &Path) -> Option<String> {
    let parent = path.parent()?;
    (parent != dir)
        .then(|| parent.file_name()?.to_str().map(str::to_string))
        .flatten()
}

/// Reads and parses one file (the checker's unit); its first mistake.
pub fn read_one(path: &Path) -> Result<Dashboard, FileProblem> {
    read_one_all(path).map_err(|mut all| all.swap_remove(0))
}

/// Reads and parses one file, with every mistake found in it.
fn read_one_all(path: &Path) -> Result<Dashboard, Vec<FileProblem>> {
    let name = path.display().to_string();
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let unreadable = |reason: String| vec![FileProblem::new(&name, "(file)", reason)];
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if meta.len() > 1024 * 1024 {
        return Err(unreadable("larger than 1 MiB".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    file::parse_all(&name, &id, &text)
}

/// What `vantage check` found in the dashboard files.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Files that load.
    pub ok: usize,
    /// Files (or folders) with at least one mistake.
    pub broken: usize,
    /// Every mistake, in file order.
    pub problems: Vec<FileProblem>,
}

/// `vantage check`: the built-in files, `dir` and the files and folders given,
/// with every mistake of every file.
pub fn check(dir: Option<&Path>, files: &[PathBuf]) -> CheckReport {
    let mut report = CheckReport::default();
    let mut tally = |result: Result<Dashboard, Vec<FileProblem>>| match result {
        Ok(_) => report.ok += 1,
        Err(mut all) => {
            report.broken += 1;
            report.problems.append(&mut all);
        }
    };
    for (id, text) in BUILT_IN {
        tally(file::parse_all(&format!("dashboards/{id}.toml"), id, text));
    }
    for path in dir
        .iter()
        .map(|d| d.to_path_buf())
        .chain(files.iter().cloned())
    {
        if path.is_dir() {
            match toml_files(&path) {
                Ok(found) => found.iter().for_each(|f| tally(read_one_all(f))),
                Err(e) => tally(Err(vec![e])),
            }
        } else {
            tally(read_one_all(&path));
        }
    }
    report
}

/// The live set of dashboards, swapped whole on reload.
#[derive(Clone)]
pub struct Dashboards {
    current: Arc<RwLock<Arc<Catalog>>>,
    dir: Option<PathBuf>,
    builtins: BuiltinDashboards,
    /// The last good version of each of the operator's files.
    last_good: Arc<std::sync::Mutex<HashMap<PathBuf, Arc<Dashboard>>>>,
    /// The folder as it was when last read, to notice changes.
    read_as: Arc<std::sync::Mutex<Fingerprint>>,
}

type Fingerprint = Vec<(PathBuf, u64, Option<std::time::SystemTime>)>;

impl Dashboards {
    /// Built-ins plus the operator's folder. A broken built-in is an error; a
    /// broken operator file is a problem reported while the rest serves.
    pub fn load(dir: Option<PathBuf>) -> Result<Self, FileProblem> {
        Self::load_with(dir, &BuiltinDashboards::All)
    }

    /// As [`Dashboards::load`], showing only the built-ins `builtins` keeps.
    pub fn load_with(
        dir: Option<PathBuf>,
        builtins: &BuiltinDashboards,
    ) -> Result<Self, FileProblem> {
        if let BuiltinDashboards::Only(ids) = builtins {
            let known: Vec<&str> = BUILT_IN.iter().map(|(id, _)| *id).collect();
            if let Some(bad) = ids.iter().find(|id| !known.contains(&id.as_str())) {
                return Err(FileProblem::new(
                    "the settings",
                    "builtin_dashboards",
                    format!(
                        "{bad:?} is not a built-in dashboard (they are {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        let this = Self {
            current: Arc::new(RwLock::new(Arc::new(Catalog::default()))),
            dir,
            builtins: builtins.clone(),
            last_good: Default::default(),
            read_as: Default::default(),
        };
        this.reload()?;
        Ok(this)
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn get(&self, id: &str) -> Option<Arc<Dashboard>> {
        self.catalog().get(id)
    }

    /// Reads everything again and swaps the catalog in one step.
    pub fn reload(&self) -> Result<(), FileProblem> {
        let mut catalog = Catalog {
            dashboards: built_in()?
                .into_iter()
                .filter(|d| self.builtins.keeps(d.id()))
                .map(Arc::new)
                .collect(),
            ..Default::default()
        };
        if let Some(dir) = &self.dir {
            // Taken before reading: a change made while reading is seen next time.
            *self.read_as.lock().unwrap_or_else(|e| e.into_inner()) = fingerprint(dir);
            let mut last_good = self.last_good.lock().unwrap_or_else(|e| e.into_inner());
            match read_dir(dir) {
                Err(e) => catalog.problems.push(e),
                Ok(files) => {
                    let present: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
                    last_good.retain(|p, _| present.contains(p));
                    for (path, result) in files {
                        let result = result.map(|mut d| {
                            d.folder = folder_of(dir, &path);
                            d
                        });
                        // Ids are file names, unique across folders (only a
                        // file of the folder itself may replace a built-in).
                        let result = match result {
                            Ok(d) if d.folder.is_some()
                                && catalog.dashboards.iter().any(|x| x.id() == d.id()) =>
                            {
                                Err(FileProblem::new(
                                    path.display().to_string(),
                                    "(file name)",
                                    format!("another file is dashboard {:?} already: ids are file names, unique across folders", d.id()),
                                ))
                            }
                            other => other,
                        };
                        let dashboard = match result {
                            Ok(d) => {
                                let d = Arc::new(d);
                                last_good.insert(path.clone(), Arc::clone(&d));
                                Some(d)
                            }
                            Err(e) => {
                                tracing::warn!("{e}; the last good version (if any) keeps serving");
                                // The page of the last good version says what broke.
                                let serving = last_good.get(&path).map(|good| {
                                    let mut shown = Dashboard::clone(good);
                                    shown.view.problem = Some(e.file_name_only());
                                    Arc::new(shown)
                                });
                                catalog.problems.push(e);
                                serving
                            }
                        };
                        if let Some(d) = dashboard {
                            // An operator's file with a built-in's id replaces it, in place.
                            match catalog.dashboards.iter_mut().find(|x| x.id() == d.id()) {
                                Some(slot) => *slot = d,
                                None => catalog.dashboards.push(d),
                            }
                        }
                    }
                }
            }
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(catalog);
        Ok(())
    }

    /// Follows the operator's folder (looking every `every`, see
    /// [`FileChanges`]) and reloads when a file changed, appeared or went away.
    pub async fn watch(self, every: Duration, shutdown: CancellationToken) {
        let Some(dir) = self.dir.clone() else {
            return;
        };
        let mut changes = match FileChanges::watch(&dir, every) {
            Ok(changes) => changes,
            Err(e) => {
                tracing::error!(dir = %dir.display(), "{e}; dashboard edits are not followed");
                return;
            }
        };
        while changes.next_round(&shutdown).await {
            let changed =
                fingerprint(&dir) != *self.read_as.lock().unwrap_or_else(|e| e.into_inner());
            if changed {
                match self.reload() {
                    Ok(()) => tracing::info!(dir = %dir.display(), "dashboards reloaded"),
                    Err(e) => tracing::error!("{e}"),
                }
            }
        }
    }
}

/// What identifies the folder's state: each file's name, size and mtime.
fn fingerprint(dir: &Path) -> Fingerprint {
    let mut out: Vec<_> = toml_files(dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|path| {
            let meta = std::fs::metadata(&path).ok()?;
            Some((path, meta.len(), meta.modified().ok()))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_dashboards_load() {
        let all = built_in().unwrap();
        let ids: Vec<&str> = all.iter().map(|d| d.id()).collect();
        assert_eq!(ids, ["overview", "api", "system", "infrastructure"]);
    }

    #[test]
    fn an_operator_file_replaces_a_built_in_in_its_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("overview.toml"),
            "title = \"Our overview\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'sum(up)'\n",
        )
        .unwrap();
        let dashboards = Dashboards::load(Some(dir.path().to_owned())).unwrap();
        let ids: Vec<String> = dashboards
            .catalog()
            .summaries()
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, ["overview", "api", "system", "infrastructure"]);
        assert_eq!(
            dashboards.get("overview").unwrap().view.title,
            "Our overview"
        );
    }

    #[test]
    fn builtin_dashboards_keeps_only_those_chosen() {
        let some = Dashboards::load_with(
            None,
            &BuiltinDashboards::Only(vec!["system".into(), "overview".into()]),
        )
        .unwrap();
        let ids: Vec<String> = some
            .catalog()
            .summaries()
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, ["overview", "system"]);
        let none = Dashboards::load_with(None, &BuiltinDashboards::Only(Vec::new())).unwrap();
        assert!(none.catalog().summaries().is_empty());
        let typo = Dashboards::load_with(None, &BuiltinDashboards::Only(vec!["overveiw".into()]));
        let problem = typo.err().unwrap().to_string();
        assert!(
            problem.contains("builtin_dashboards") && problem.contains("overveiw"),
            "{problem}"
        );
    }

    #[test]
    fn subfolders_are_folders_and_ids_stay_unique() {
        let dir = tempfile::tempdir().unwrap();
        let board = |title: &str| {
            format!("title = \"{title}\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'up'\n")
        };
        std::fs::create_dir(dir.path().join("payments")).unwrap();
        std::fs::write(dir.path().join("team.toml"), board("Team")).unwrap();
        std::fs::write(dir.path().join("payments/checkout.toml"), board("Checkout")).unwrap();
        std::fs::write(dir.path().join("payments/team.toml"), board("Twice")).unwrap();
        let dashboards = Dashboards::load(Some(dir.path().to_owned())).unwrap();
        let catalog = dashboards.catalog();
        let summaries = catalog.summaries();
        let of = |id: &str| {
            summaries
                .iter()
                .find(|d| d.id == id)
                .unwrap()
                .folder
                .clone()
        };
        assert_eq!(of("checkout"), Some("payments".into()));
        assert_eq!(of("team"), None);
        assert_eq!(dashboards.get("team").unwrap().view.title, "Team");
        assert_eq!(catalog.problems.len(), 1, "{:?}", catalog.problems);
        assert!(catalog.problems[0].reason.contains("unique across folders"));
    }

    #[test]
    fn a_broken_edit_keeps_the_last_good_version_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team.toml");
        let good = "title = \"Team\"\n[[panels]]\nid = \"up\"\ntitle = \"Up\"\nkind = \"stat\"\n[[panels.queries]]\nexpr = 'up'\n";
        std::fs::write(&path, good).unwrap();
        let dashboards = Dashboards::load(Some(dir.path().to_owned())).unwrap();
        assert_eq!(dashboards.get("team").unwrap().view.title, "Team");
        assert!(dashboards.catalog().problems.is_empty());

        std::fs::write(&path, good.replace("stat", "pie")).unwrap();
        dashboards.reload().unwrap();
        assert_eq!(dashboards.get("team").unwrap().view.title, "Team");
        let problems = &dashboards.catalog().problems;
        assert_eq!(problems.len(), 1);
        assert!(problems[0].file.ends_with("team.toml"));

        std::fs::write(&path, good.replace("\"Team\"", "\"Team 2\"")).unwrap();
        dashboards.reload().unwrap();
        assert_eq!(dashboards.get("team").unwrap().view.title, "Team 2");
        assert!(dashboards.catalog().problems.is_empty());

        std::fs::remove_file(&path).unwrap();
        dashboards.reload().unwrap();
        assert!(dashboards.get("team").is_none());
        assert!(dashboards.get("overview").is_some());
    }
}
