use leptos::prelude::*;

/// Loads the browser bundle and hydrates the page: Leptos' `HydrationScripts`
/// with one change. There, the wasm starts compiling only when the module
/// script runs, which is after the whole document is parsed; a dashboard's
/// document is large (every panel's chart and data), so here a classic inline
/// script in the head starts fetching and compiling the wasm at once, in the
/// background while the rest of the page arrives and parses, and the module
/// script only instantiates it. (docs/PERFORMANCE.md has what it saves.)
///
/// The paths come from the server's options, never from data.
#[component]
pub fn BootScripts(options: LeptosOptions) -> impl IntoView {
    let pkg = format!("/{}", options.site_pkg_dir);
    let js = format!("{pkg}/{}.js", options.output_name);
    let wasm = format!("{pkg}/{}_bg.wasm", options.output_name);
    // A failed early compile (a proxy that changed the wasm's type, an old
    // browser) is not fatal: the module script then loads the wasm itself.
    let compile = format!(
        "window.__vantageWasm=WebAssembly.compileStreaming?\
         WebAssembly.compileStreaming(fetch({wasm:?})).catch(()=>{wasm:?}):\
         Promise.resolve({wasm:?});"
    );
    // Hydrating is one long task; the browser first paints the whole parsed
    // page (the end of a long document would otherwise wait for it). A tab
    // in the background paints no frames, so a timer stands in there.
    let start = format!(
        "import init,{{hydrate}} from {js:?};\
         const painted=new Promise(r=>{{requestAnimationFrame(()=>setTimeout(r,0));setTimeout(r,100)}});\
         Promise.all([window.__vantageWasm.then(m=>init({{module_or_path:m}})),painted]).then(()=>hydrate());"
    );
    // The server's policy runs inline scripts by this response's nonce only.
    let nonce = use_nonce();
    view! {
        <link rel="modulepreload" href=js nonce=nonce.clone() />
        <script nonce=nonce.clone() inner_html=compile></script>
        <script type="module" nonce=nonce inner_html=start></script>
    }
}
