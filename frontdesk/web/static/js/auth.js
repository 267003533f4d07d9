// Sign in and create an account. Wrong credentials and rate limits get plain messages.

import { $ } from "./dom.js";

function explain(error, registering) {
  if (error.status === 401) return "Wrong email or password.";
  if (error.status === 429) {
    const wait = error.retryAfter ? ` Try again in ${error.retryAfter} second${error.retryAfter === 1 ? "" : "s"}.` : " Try again in a minute.";
    return `Too many attempts.${wait}`;
  }
  if (error.status === 409 && registering) return "An account with this email already exists. Sign in instead.";
  if (error.status === 422 || error.status === 400) return error.message;
  if (!error.status) return "Cannot reach the server. Check your connection and try again.";
  return error.message || "Something went wrong. Please try again.";
}

export class AuthForm {
  constructor(api, { onSignedIn }) {
    this.api = api;
    this.onSignedIn = onSignedIn;
    this.registering = false;
    this.form = $("auth-form");
    this.error = $("auth-error");
    this.submit = $("auth-submit");
    this.tabs = [$("tab-signin"), $("tab-register")];
    this.tabs[0].addEventListener("click", () => this.setMode(false));
    this.tabs[1].addEventListener("click", () => this.setMode(true));
    for (const tab of this.tabs) {
      tab.addEventListener("keydown", (e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          this.setMode(!this.registering);
          this.tabs[this.registering ? 1 : 0].focus();
        }
      });
    }
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
  }

  show(message = "") {
    $("auth-view").hidden = false;
    $("app-view").hidden = true;
    this.error.textContent = message;
    $("auth-password").value = "";
    $("auth-email").focus();
  }

  setMode(registering) {
    this.registering = registering;
    this.tabs.forEach((tab, i) => {
      const selected = (i === 1) === registering;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    });
    this.form.setAttribute("aria-labelledby", registering ? "tab-register" : "tab-signin");
    $("name-field").hidden = !registering;
    $("password-hint").hidden = !registering;
    $("auth-name").required = registering;
    $("auth-password").autocomplete = registering ? "new-password" : "current-password";
    this.submit.textContent = registering ? "Create account" : "Sign in";
    this.error.textContent = "";
  }

  async #submit() {
    const email = $("auth-email").value.trim();
    const password = $("auth-password").value;
    const name = $("auth-name").value.trim();
    if (!email || !password || (this.registering && !name)) {
      this.error.textContent = this.registering ? "Enter your name, email and a password." : "Enter your email and password.";
      return;
    }
    if (this.registering && password.length < 8) {
      this.error.textContent = "Choose a password of at least 8 characters.";
      return;
    }
    this.submit.disabled = true;
    this.error.textContent = "";
    try {
      if (this.registering) await this.api.register(name, email, password);
      else await this.api.login(email, password);
      $("auth-password").value = "";
      await this.onSignedIn();
    } catch (error) {
      this.error.textContent = explain(error, this.registering);
    } finally {
      this.submit.disabled = false;
    }
  }
}
