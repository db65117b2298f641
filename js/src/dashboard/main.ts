// The GlassBox dashboard: signs the browser in (session cookie + CSRF token) and draws the page
// the path names: "/" projects, "/projects/<id>", "/reports/<id>". Links stay ordinary links
// (each page load asks the server again), so the back button and bookmarks just work.
import { ApiError, call, setCsrf, tokenFromHash } from "./api";
import type { User } from "./api";
import { errorBox, frame } from "./layout";
import { auditPage } from "./pages/audit";
import { jobsPage } from "./pages/jobs";
import { distillPage } from "./pages/distill";
import { endpointPage } from "./pages/endpoint";
import { projectPage } from "./pages/project";
import { projectsPage } from "./pages/projects";
import { reportPage } from "./pages/report";
import { signInPage } from "./pages/signin";
import { transformerPage } from "./pages/transformer";

async function signOut(): Promise<void> {
  try {
    await call("DELETE", "/session");
  } finally {
    setCsrf(null);
    window.location.assign("/");
  }
}

async function route(user: User): Promise<void> {
  const parts = window.location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const out = () => void signOut();
  try {
    if (parts[0] === "projects" && parts[1] && parts[2] === "distill") await distillPage(user, parts[1], out);
    else if (parts[0] === "projects" && parts[1] && parts[2] === "endpoint") await endpointPage(user, parts[1], out);
    else if (parts[0] === "projects" && parts[1] && parts[2] === "transformer") {
      await transformerPage(user, parts[1], out);
    } else if (parts[0] === "projects" && parts[1]) await projectPage(user, parts[1], out);
    else if (parts[0] === "reports" && parts[1]) await reportPage(user, parts[1], out);
    else if (parts[0] === "audit") await auditPage(user, out);
    else if (parts[0] === "jobs") await jobsPage(user, out);
    else await projectsPage(user, out);
  } catch (err) {
    const notFound = err instanceof ApiError && err.status === 404;
    const main = frame(user, notFound ? "Not found" : "Something went wrong", out);
    main.append(
      errorBox(notFound ? "There is no such page in your projects." : err instanceof Error ? err.message : String(err)),
    );
  }
  document.getElementById("gb-main")?.focus();
}

async function start(): Promise<void> {
  const linked = tokenFromHash(window.location.hash);
  if (linked) {
    // the fragment never reached the server; drop it from the address bar and history now
    history.replaceState(null, "", window.location.pathname + window.location.search);
    try {
      const answer = await call<{ user: User; csrf_token: string }>("POST", "/session", { token: linked });
      setCsrf(answer.csrf_token);
      await route(answer.user);
      return;
    } catch {
      // a spent or mistyped link: the sign-in form below says what to do
    }
  }
  const session = await call<{ user: User | null; csrf_token: string | null }>("GET", "/session");
  if (session.user === null) {
    signInPage((user) => void route(user));
    return;
  }
  setCsrf(session.csrf_token);
  await route(session.user);
}

void start();
