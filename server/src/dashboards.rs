//! Dashboards as files: the built-in ones shipped in `dashboards/`, plus any the
//! operator keeps in a folder of their own (`dashboards_dir`), reloaded when
//! they change. A file that breaks keeps its last good version serving, and the
//! reason is kept for `/api/dashboards` and the logs.

pub mod file;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

use app::model::{DashboardSummary, DashboardView, PanelView};
use tokio_util::sync::CancellationToken;

use crate::file_watch::FileChanges;

pub use file::FileProblem;

/// A dashboard as loaded: what pages see, plus what only the server knows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub view: DashboardView,
    pub variables: Vec<Variable>,
    pub panels: Vec<Panel>,
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
    /// The Prometheus label it narrows.
    pub label: String,
    /// The metric whose values of `label` fill the picker.
    pub values_from: String,
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

    pub fn summaries(&self) -> Vec<DashboardSummary> {
        self.dashboards
            .iter()
            .map(|d| DashboardSummary {
                id: d.view.id.clone(),
                title: d.view.title.clone(),
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

/// The `*.toml` files of a folder, in name order.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, FileProblem> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| FileProblem::new(dir.display().to_string(), "(folder)", e.to_string()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    Ok(paths)
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
        let this = Self {
            current: Arc::new(RwLock::new(Arc::new(Catalog::default()))),
            dir,
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
            dashboards: built_in()?.into_iter().map(Arc::new).collect(),
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
                        let dashboard = match result {
                            Ok(d) => {
                                let d = Arc::new(d);
                                last_good.insert(path.clone(), Arc::clone(&d));
                                Some(d)
                            }
                            Err(e) => {
                                tracing::warn!("{e}; the last good version (if any) keeps serving");
                                catalog.problems.push(e);
                                last_good.get(&path).cloned()
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
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.len(), meta.modified().ok()))
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
