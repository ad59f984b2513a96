/* The whole questionnaire in the page (JavaScript on), so that the traffic tells nothing:
 *
 * - The code form is taken over: the code is checked sealed, the questionnaire is fetched
 *   once (the same HTML for everyone: every module, question, option and condition), and
 *   every page, the review, the thanks and "saved" pages are shown here, at the one
 *   address of the code page, without a request.
 * - Routing, the options offered and the checks are those of the server, in the browser:
 *   conditions.js (held to the Python evaluator by generated tests) and survey.js.
 * - The answers leave the browser once, at the end, sealed to the wave's answer key and
 *   padded to the wave's one size (sealed.js): every respondent's requests are the same
 *   ones, of the same sizes, whatever they answered.
 * - "Save and continue later" sends the draft encrypted with a key from the code and the
 *   resume key, which the server cannot read, sealed like a submission.
 *
 * Whatever this cannot do (no WebCrypto, a wave without a key, a code refused, a draft
 * saved without JavaScript) goes to the server's pages, which work without JavaScript.
 */
(function () {
  "use strict";

  var Page = window.MonitorPage; /* survey.js */
  var Sealed = window.MonitorSealed; /* sealed.js */
  var holds = window.MonitorConditions.holds; /* conditions.js */
  var startForm = document.querySelector("form[data-code-form]");
  if (!startForm || !Page || !Sealed || !Sealed.available()) {
    return;
  }

  function api(waveId, path) {
    return "/api/v1/waves/" + encodeURIComponent(waveId) + path;
  }

  async function sendSealed(context, method, path, purpose, body) {
    var sealed = await Sealed.seal(context.keyDocument, context.waveId, purpose, body);
    return fetch(api(context.waveId, path), {
      method: method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sealed: sealed }),
      credentials: "same-origin",
    });
  }

  function chosenWave() {
    var chosen = startForm.querySelector("input[name=wave]:checked, input[name=wave][type=hidden]");
    return chosen ? chosen.value : "";
  }

  var starting = false;
  startForm.addEventListener("submit", function (event) {
    var waveId = chosenWave();
    var code = startForm.querySelector("#code").value.trim();
    var resumeKey = startForm.querySelector("#resume_key").value.trim();
    var sealedWaves = startForm.getAttribute("data-sealed-waves").split(" ");
    if (!waveId || !code || sealedWaves.indexOf(waveId) === -1) {
      return; // the server's page says what is missing, or takes the wave's plain forms
    }
    event.preventDefault();
    if (starting) {
      return;
    }
    starting = true;
    begin(waveId, code, resumeKey).catch(function () {
      startForm.submit(); // the server's pages, as without JavaScript
    });
  });

  async function begin(waveId, code, resumeKey) {
    var keyReply = await fetch(api(waveId, "/answer-key"), { credentials: "same-origin" });
    if (!keyReply.ok) {
      throw new Error("no answer key");
    }
    var context = { waveId: waveId, code: code, keyDocument: await keyReply.json() };
    var checked = await sendSealed(context, "POST", "/sealed/codes/check", "check", { code: code });
    if (!checked.ok) {
      throw new Error("code refused"); // the server's page says why, in its words
    }
    var answers = {};
    if (resumeKey) {
      context.draftKeys = await Sealed.draftKeys(
        waveId, code, resumeKey, context.keyDocument.draft.iterations
      );
      context.resumeKey = resumeKey;
      var loaded = await sendSealed(
        context, "POST", "/sealed/progress/load", "progress/load",
        { code: code, lookup: context.draftKeys.lookup }
      );
      if (!loaded.ok) {
        throw new Error("no draft of the page"); // perhaps one saved without JavaScript
      }
      answers = await Sealed.openDraft(context.draftKeys, waveId, (await loaded.json()).draft);
    }
    var address = new URL(startForm.getAttribute("data-whole-form"), window.location.href);
    address.searchParams.set("golf", waveId);
    var formReply = await fetch(address, { credentials: "same-origin" });
    if (!formReply.ok) {
      throw new Error("no questionnaire");
    }
    var holder = document.createElement("div");
    holder.innerHTML = await formReply.text(); // our own HTML, the same for everyone
    var root = holder.querySelector("[data-questionnaire]");
    var main = document.getElementById("content");
    main.replaceChildren(root);
    // A switch of language would reload the page and lose the answers given here.
    document.querySelectorAll(".language-switch").forEach(function (link) { link.hidden = true; });
    new Questionnaire(root, context, answers);
  }

  function Questionnaire(root, context, answers) {
    this.root = root;
    this.context = context;
    this.texts = JSON.parse(root.getAttribute("data-texts"));
    this.modules = Array.prototype.slice.call(root.querySelectorAll("[data-module]"));
    this.blocks = Array.prototype.slice.call(root.querySelectorAll("[data-question]"));
    this.review = root.querySelector("[data-review]");
    this.changing = false;
    this.fill(answers);
    var self = this;
    this.modules.forEach(function (module) {
      var form = module.querySelector("form");
      form.addEventListener("change", function (event) {
        Page.keepExclusive(event.target);
        self.answers();
      });
      form.addEventListener("input", function () { self.answers(); });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var action = event.submitter ? event.submitter.value : "next";
        self.act(module, action);
      });
    });
    this.review.querySelector("[data-send]").addEventListener("click", function () {
      self.send();
    });
    this.review.querySelector("[data-back]").addEventListener("click", function () {
      self.show(self.previous(null) || self.review);
    });
    this.answers();
    var target = this.firstWithErrors();
    this.show(target || (answers && Object.keys(answers).length ? this.review : this.displayed()[0]));
  }

  Questionnaire.prototype.rules = function (block) {
    return JSON.parse(block.getAttribute("data-rules"));
  };

  /* The answers of a draft put back in their fields. */
  Questionnaire.prototype.fill = function (answers) {
    this.blocks.forEach(function (block) {
      var value = answers[block.getAttribute("data-question")];
      if (value === undefined || value === null) {
        return;
      }
      var chosen = Array.isArray(value) ? value : [value];
      block.querySelectorAll("input.choice__input").forEach(function (input) {
        input.checked = chosen.indexOf(input.value) !== -1;
      });
      var field = block.querySelector("input[data-answer], textarea[data-answer]");
      if (field) {
        field.value = String(value);
      }
    });
  };

  /* Route the whole questionnaire: the valid answers of the questions that exist. */
  Questionnaire.prototype.answers = function () {
    return Page.route(this.blocks);
  };

  Questionnaire.prototype.shown = function (module) {
    return Array.prototype.filter.call(module.querySelectorAll("[data-question]"), function (b) {
      return !b.hidden;
    });
  };

  Questionnaire.prototype.displayed = function () {
    var self = this;
    this.answers();
    return this.modules.filter(function (module) { return self.shown(module).length > 0; });
  };

  /* This module's problems as validate_answers finds them: [block, message] pairs. */
  Questionnaire.prototype.problems = function (module) {
    var self = this;
    var answers = this.answers();
    var found = [];
    this.shown(module).forEach(function (block) {
      var rules = self.rules(block);
      var read = Page.readAnswer(block);
      if (read.problem) {
        found.push([block, rules.messages[read.problem]]);
      } else if (read.value === undefined && rules.required) {
        found.push([block, rules.messages.required]);
      }
    });
    var cell = [answers.organisation, answers.unit, answers.function_group];
    var lastOfCell = module.querySelector("[data-question=function_group]");
    if (lastOfCell && !lastOfCell.hidden && cell.every(function (code) { return code !== undefined; })) {
      var known = this.context.keyDocument.cells.some(function (frameCell) {
        return frameCell.join("\u001f") === cell.join("\u001f");
      });
      if (!known) {
        found.push([lastOfCell, this.texts.unknown_cell]);
      }
    }
    return found;
  };

  Questionnaire.prototype.firstWithErrors = function () {
    var self = this;
    return this.displayed().find(function (module) { return self.problems(module).length; });
  };

  Questionnaire.prototype.following = function (module) {
    var order = this.modules.indexOf(module);
    var self = this;
    return this.displayed().find(function (m) { return self.modules.indexOf(m) > order; });
  };

  /* The page before `module` (before the review for null). */
  Questionnaire.prototype.previous = function (module) {
    var end = module === null ? this.modules.length : this.modules.indexOf(module);
    var self = this;
    var earlier = this.displayed().filter(function (m) { return self.modules.indexOf(m) < end; });
    return earlier.length ? earlier[earlier.length - 1] : null;
  };

  Questionnaire.prototype.act = function (module, action) {
    if (action === "back") {
      this.show(this.previous(module) || module);
      return;
    }
    if (action === "stop") {
      this.save(module);
      return;
    }
    var problems = this.problems(module);
    if (problems.length) {
      this.showProblems(module, problems);
      return;
    }
    if (this.changing) {
      this.show(this.firstWithErrors() || this.review);
      return;
    }
    this.show(this.following(module) || this.review);
  };

  Questionnaire.prototype.show = function (section) {
    if (section === this.review) {
      this.changing = false;
      this.fillReview();
    }
    this.clearProblems();
    Array.prototype.forEach.call(this.root.children, function (child) {
      child.hidden = child !== section;
    });
    var back = section.querySelector("form [data-back]");
    if (back) {
      back.hidden = !this.previous(section);
    }
    this.showSupport();
    window.scrollTo(0, 0);
    section.querySelector("h1").focus();
  };

  Questionnaire.prototype.showSupport = function () {
    var answers = this.answers();
    this.root.querySelectorAll("[data-support]").forEach(function (support) {
      support.hidden = !holds(JSON.parse(support.getAttribute("data-show-if")), answers);
    });
  };

  Questionnaire.prototype.clearProblems = function () {
    this.root.querySelectorAll("[data-summary]").forEach(function (s) { s.replaceChildren(); });
    this.root.querySelectorAll(".question--error").forEach(function (block) {
      block.classList.remove("question--error");
      var message = block.querySelector(".error-message");
      var described = block.querySelector("[aria-describedby~='" + message.id + "']");
      if (described) {
        var rest = described.getAttribute("aria-describedby").split(" ").filter(function (id) {
          return id !== message.id;
        });
        if (rest.length) {
          described.setAttribute("aria-describedby", rest.join(" "));
        } else {
          described.removeAttribute("aria-describedby");
        }
      }
      message.remove();
      block.querySelectorAll("[aria-invalid]").forEach(function (f) { f.removeAttribute("aria-invalid"); });
    });
  };

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (text !== undefined) {
      made.textContent = text;
    }
    return made;
  }

  /* The error summary and the messages at their questions, as the server's pages show them
   * (_error_summary.html, _question.html). */
  Questionnaire.prototype.showProblems = function (section, problems) {
    this.clearProblems();
    var texts = this.texts;
    var summary = element("div", "error-summary");
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    summary.appendChild(element("h2", "error-summary__title", texts.error_summary_title));
    var list = element("ul", "error-summary__list");
    summary.appendChild(list);
    var self = this;
    problems.forEach(function (problem) {
      var block = problem[0];
      var message = problem[1];
      var id = block.getAttribute("data-question");
      var link = element("a");
      link.href = "#" + block.id;
      link.appendChild(element("span", "error-summary__question", self.rules(block).text));
      link.appendChild(document.createTextNode(" "));
      link.appendChild(element("span", "error-summary__message", message));
      Page.followInPage(link);
      var item = element("li");
      item.appendChild(link);
      list.appendChild(item);
      if (block.classList.contains("question--error")) {
        return;
      }
      block.classList.add("question--error");
      var shown = element("p", "error-message");
      shown.id = "error-" + id;
      shown.appendChild(element("span", "visually-hidden", texts.error_prefix + " "));
      shown.appendChild(document.createTextNode(message));
      var answer = block.querySelector("[data-answer]");
      answer.parentNode.insertBefore(shown, answer);
      var described = block.querySelector("fieldset") || answer;
      var ids = (described.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.setAttribute("aria-describedby", ids.concat([shown.id]).join(" "));
      block.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (field) {
        field.setAttribute("aria-invalid", "true");
      });
    });
    section.querySelector("[data-summary]").appendChild(summary);
    window.scrollTo(0, 0);
    summary.focus();
  };

  /* The review: every answer of every page there is, with a button to change its page. */
  Questionnaire.prototype.fillReview = function () {
    var texts = this.texts;
    var list = this.review.querySelector("[data-review-list]");
    list.replaceChildren();
    var self = this;
    this.displayed().forEach(function (module) {
      list.appendChild(element("h2", null, module.querySelector("h1").textContent));
      var rows = element("dl", "answers");
      self.shown(module).forEach(function (block) {
        var question = self.rules(block).text;
        var row = element("div", "answers__row");
        row.appendChild(element("dt", "answers__question", question));
        var answer = element("dd", "answers__answer");
        var given = self.answerTexts(block);
        if (!given.length) {
          answer.appendChild(element("span", "answers__missing", texts.not_answered));
        } else if (given.length === 1) {
          answer.appendChild(element("span", "answers__text", given[0]));
        } else {
          var items = element("ul");
          given.forEach(function (text) { items.appendChild(element("li", null, text)); });
          answer.appendChild(items);
        }
        row.appendChild(answer);
        var change = element("dd", "answers__change");
        var button = element("button", "link-button", texts.change);
        button.type = "button";
        button.appendChild(
          element("span", "visually-hidden", " " + texts.change_hidden.replace("{question}", question))
        );
        button.addEventListener("click", function () {
          self.show(module);
          self.changing = true;
        });
        change.appendChild(button);
        row.appendChild(change);
        rows.appendChild(row);
      });
      list.appendChild(rows);
    });
  };

  Questionnaire.prototype.answerTexts = function (block) {
    var read = Page.readAnswer(block);
    if (read.value === undefined || read.problem) {
      return [];
    }
    var labels = [];
    block.querySelectorAll("input.choice__input:checked:enabled").forEach(function (input) {
      labels.push(block.querySelector("label[for='" + input.id + "']").textContent);
    });
    return labels.length ? labels : [String(read.value)];
  };

  Questionnaire.prototype.busy = function (busy) {
    this.root.querySelectorAll("button").forEach(function (button) { button.disabled = busy; });
  };

  /* A problem with sending, shown as the server's pages show errors. */
  Questionnaire.prototype.failed = function (section, message) {
    this.showProblems(section, []);
    section.querySelector(".error-summary__list").appendChild(element("li", null, message));
  };

  Questionnaire.prototype.reason = function (status) {
    if (status === 403) {
      return this.texts.code_refused;
    }
    return status === 409 ? this.texts.wave_closed : this.texts.send_failed;
  };

  /* Send the answers, sealed: the only request with answers in it. */
  Questionnaire.prototype.send = async function () {
    var target = this.firstWithErrors();
    if (target) {
      this.show(target);
      this.showProblems(target, this.problems(target));
      return;
    }
    var answers = this.answers();
    var body = { code: this.context.code, answers: present(answers) };
    this.busy(true);
    var reply = null;
    try {
      reply = await sendSealed(this.context, "POST", "/sealed/responses", "response", body);
    } catch (error) {
      reply = null;
    }
    this.busy(false);
    if (!reply || reply.status !== 201) {
      this.failed(this.review, this.reason(reply ? reply.status : 0));
      return;
    }
    this.finish(this.root.querySelector("[data-thanks]"));
  };

  /* Keep what is valid as a draft, encrypted with the code and the resume key. */
  Questionnaire.prototype.save = async function (module) {
    var context = this.context;
    this.busy(true);
    var reply = null;
    try {
      if (!context.draftKeys) {
        context.resumeKey = Sealed.newResumeKey();
        context.draftKeys = await Sealed.draftKeys(
          context.waveId, context.code, context.resumeKey, context.keyDocument.draft.iterations
        );
      }
      var draft = await Sealed.sealDraft(
        context.draftKeys, context.waveId, present(this.answers()),
        context.keyDocument.draft.answers_bytes
      );
      reply = await sendSealed(context, "PUT", "/sealed/progress", "progress", {
        code: context.code, lookup: context.draftKeys.lookup, draft: draft,
      });
    } catch (error) {
      reply = null;
    }
    this.busy(false);
    if (!reply || reply.status !== 204) {
      this.failed(module, this.reason(reply ? reply.status : 0));
      return;
    }
    var saved = this.root.querySelector("[data-saved]");
    saved.querySelector("[data-resume-key]").textContent = context.resumeKey;
    this.finish(saved);
  };

  /* The answers leave the page too: only the thanks or saved page stays. */
  Questionnaire.prototype.finish = function (section) {
    this.show(section);
    this.modules.concat([this.review]).forEach(function (gone) { gone.remove(); });
    this.root.querySelectorAll("[data-support][hidden]").forEach(function (gone) { gone.remove(); });
    this.context.code = null;
    this.context.draftKeys = null;
  };

  /* The answers given, without the questions left empty. */
  function present(answers) {
    var out = {};
    Object.keys(answers).forEach(function (id) {
      if (answers[id] !== undefined) {
        out[id] = answers[id];
      }
    });
    return out;
  }
})();
