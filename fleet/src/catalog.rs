//! The services of the demo fleet: the ones a typical platform of microservices
//! runs, with their own health paths, endpoints and traffic profiles.

/// One HTTP endpoint of a service and how it behaves when healthy.
#[derive(Debug, Clone, Copy)]
pub struct EndpointSpec {
    pub path: &'static str,
    pub method: &'static str,
    /// Requests per second at the daily average.
    pub rate: f64,
    /// Median latency in seconds.
    pub median_latency: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    pub name: &'static str,
    /// Paths answering the health check (the first is the main one).
    pub health_paths: &'static [&'static str],
    pub endpoints: &'static [EndpointSpec],
    pub database: bool,
    pub cache: Option<&'static str>,
    pub queue: Option<&'static str>,
    /// A business counter: (metric family without `_total`, help, label name, label values).
    pub business: Option<(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )>,
}

const fn ep(
    path: &'static str,
    method: &'static str,
    rate: f64,
    median_latency: f64,
) -> EndpointSpec {
    EndpointSpec {
        path,
        method,
        rate,
        median_latency,
    }
}

pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        name: "api-gateway",
        health_paths: &["/api/health"],
        endpoints: &[
            ep("/api/v1/users", "GET", 42.0, 0.045),
            ep("/api/v1/auth/login", "POST", 9.0, 0.120),
            ep("/api/v1/workflows", "GET", 18.0, 0.080),
            ep("/api/v1/chat", "POST", 6.0, 0.900),
        ],
        database: false,
        cache: Some("routes"),
        queue: None,
        business: None,
    },
    ServiceSpec {
        name: "auth-service",
        health_paths: &["/health"],
        endpoints: &[
            ep("/login", "POST", 9.0, 0.110),
            ep("/token/refresh", "POST", 14.0, 0.020),
            ep("/token/verify", "GET", 60.0, 0.004),
        ],
        database: true,
        cache: Some("sessions"),
        queue: None,
        business: Some((
            "auth_logins",
            "Login attempts by result.",
            "result",
            &["success", "failure"],
        )),
    },
    ServiceSpec {
        name: "user-service",
        health_paths: &["/health", "/health/detailed"],
        endpoints: &[
            ep("/users", "GET", 30.0, 0.030),
            ep("/users/{id}", "GET", 25.0, 0.015),
            ep("/users", "POST", 0.8, 0.180),
        ],
        database: true,
        cache: Some("profiles"),
        queue: None,
        business: Some((
            "user_registrations",
            "New user registrations by plan.",
            "plan",
            &["free", "team"],
        )),
    },
    ServiceSpec {
        name: "permission-service",
        health_paths: &["/health"],
        endpoints: &[
            ep("/check", "POST", 80.0, 0.006),
            ep("/roles", "GET", 3.0, 0.025),
        ],
        database: true,
        cache: Some("grants"),
        queue: None,
        business: None,
    },
    ServiceSpec {
        name: "platform-services",
        health_paths: &["/health"],
        endpoints: &[
            ep("/tenants", "GET", 5.0, 0.040),
            ep("/settings", "GET", 8.0, 0.020),
        ],
        database: true,
        cache: None,
        queue: None,
        business: None,
    },
    ServiceSpec {
        name: "automation-services",
        health_paths: &["/health"],
        endpoints: &[
            ep("/workflows", "GET", 12.0, 0.070),
            ep("/workflows/{id}/run", "POST", 2.5, 0.350),
        ],
        database: true,
        cache: None,
        queue: Some("workflow-runs"),
        business: None,
    },
    ServiceSpec {
        name: "llm-orchestrator",
        health_paths: &["/health"],
        endpoints: &[
            ep("/v1/completions", "POST", 4.0, 1.400),
            ep("/v1/embeddings", "POST", 10.0, 0.220),
        ],
        database: false,
        cache: Some("prompts"),
        queue: Some("inference"),
        business: Some((
            "llm_tokens",
            "Tokens processed by kind.",
            "kind",
            &["prompt", "completion"],
        )),
    },
    ServiceSpec {
        name: "mcp-server",
        health_paths: &["/health"],
        endpoints: &[
            ep("/tools/call", "POST", 7.0, 0.260),
            ep("/tools/list", "GET", 2.0, 0.010),
        ],
        database: false,
        cache: None,
        queue: None,
        business: Some((
            "mcp_tool_calls",
            "Tool calls by tool.",
            "tool",
            &["search", "airtable", "calendar"],
        )),
    },
    ServiceSpec {
        name: "airtable-gateway",
        health_paths: &["/health"],
        endpoints: &[
            ep("/bases/{id}/records", "GET", 6.0, 0.310),
            ep("/bases/{id}/records", "PATCH", 1.5, 0.420),
        ],
        database: false,
        cache: Some("records"),
        queue: None,
        business: None,
    },
    ServiceSpec {
        name: "saga-orchestrator",
        health_paths: &["/health/"],
        endpoints: &[
            ep("/sagas", "POST", 3.0, 0.150),
            ep("/sagas/{id}", "GET", 9.0, 0.020),
        ],
        database: true,
        cache: None,
        queue: Some("saga-steps"),
        business: Some((
            "saga_executions",
            "Finished sagas by result.",
            "result",
            &["completed", "compensated"],
        )),
    },
    ServiceSpec {
        name: "frontend",
        health_paths: &["/api/health", "/health/ready"],
        endpoints: &[
            ep("/", "GET", 20.0, 0.012),
            ep("/assets/{file}", "GET", 55.0, 0.003),
        ],
        database: false,
        cache: None,
        queue: None,
        business: None,
    },
];

/// Who calls whom: each service's dependencies, as its client reports them
/// (`service_dependency_up`).
pub const DEPENDENCIES: &[(&str, &[&str])] = &[
    ("frontend", &["api-gateway"]),
    (
        "api-gateway",
        &[
            "auth-service",
            "user-service",
            "platform-services",
            "llm-orchestrator",
        ],
    ),
    ("auth-service", &["user-service", "permission-service"]),
    ("user-service", &["permission-service"]),
    (
        "platform-services",
        &["airtable-gateway", "automation-services"],
    ),
    ("automation-services", &["saga-orchestrator"]),
    ("llm-orchestrator", &["mcp-server"]),
    ("mcp-server", &["airtable-gateway"]),
    ("saga-orchestrator", &["user-service", "platform-services"]),
];

/// The services `name` calls.
pub fn dependencies(name: &str) -> &'static [&'static str] {
    DEPENDENCIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .unwrap_or(&[])
}

pub fn find(name: &str) -> Option<&'static ServiceSpec> {
    SERVICES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_has_the_services_it_stands_in_for_on_their_own_health_paths() {
        let expected: &[(&str, &[&str])] = &[
            ("api-gateway", &["/api/health"]),
            ("auth-service", &["/health"]),
            ("user-service", &["/health", "/health/detailed"]),
            ("permission-service", &["/health"]),
            ("platform-services", &["/health"]),
            ("automation-services", &["/health"]),
            ("llm-orchestrator", &["/health"]),
            ("mcp-server", &["/health"]),
            ("airtable-gateway", &["/health"]),
            ("saga-orchestrator", &["/health/"]),
            ("frontend", &["/api/health", "/health/ready"]),
        ];
        assert_eq!(SERVICES.len(), expected.len());
        for (name, paths) in expected {
            let spec = find(name).unwrap_or_else(|| panic!("{name} is missing"));
            assert_eq!(&spec.health_paths, paths, "{name}");
        }
    }
}
