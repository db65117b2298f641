// Sign in with an API token (made by `glassbox users add`): the server answers with an HttpOnly
// session cookie and the CSRF token; the token itself is not kept by the page.
import { h } from "../../shared/dom";
import { ApiError, call, setCsrf } from "../api";
import type { User } from "../api";
import { errorBox, frame } from "../layout";

export function signInPage(done: (user: User) => void): void {
  const main = frame(null, "Sign in");
  const form = h("form", "gb-card gb-signin");
  const label = h("label", "", "API token");
  const input = h("input");
  input.type = "password";
  input.name = "token";
  input.autocomplete = "current-password";
  input.required = true;
  input.id = "gb-token";
  label.htmlFor = "gb-token";
  const hint = h("p", "gb-hint", "Your administrator gives you a token (glassbox users add NAME --role ROLE).");
  const submit = h("button", "gb-button", "Sign in");
  submit.type = "submit";
  const status = h("div", "gb-status");
  status.setAttribute("aria-live", "polite");
  form.append(label, input, hint, submit, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.replaceChildren();
    try {
      const answer = await call<{ user: User; csrf_token: string }>("POST", "/session", { token: input.value });
      input.value = "";
      setCsrf(answer.csrf_token);
      done(answer.user);
    } catch (err) {
      status.append(errorBox(err instanceof ApiError ? err.message : String(err)));
      submit.disabled = false;
    }
  });
  main.append(form);
  input.focus();
}
