/* Small enhancements of the survey pages; every page works without them.
 *
 * - Quick exit leaves without a trace in this tab's history.
 * - Follow-up questions appear and disappear as answers change, and lists of options
 *   follow the organisation chosen on the same page. The server renders every question
 *   that can appear on the page, with its show_if condition in data-show-if (conditions
 *   on other pages already replaced by {"const": true|false}); hidden questions are
 *   disabled, so they are not sent.
 * - An exclusive option ("none of these") clears the other options and the other way round.
 * - Links within the page (the error summary, the list of added questions) move the focus
 *   to the question's first field without adding an entry to the history: an entry with
 *   a fragment would say more than the one address of the survey does.
 *
 * What questionnaire.js (the whole questionnaire in the page) shares is in MonitorPage.
 */
(function () {
  "use strict";

  var INTEGER = /^[+-]?[0-9]{1,18}$/;
  var holds = window.MonitorConditions.holds; /* conditions.js */

  document.querySelectorAll("[data-quick-exit]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      document.body.hidden = true;
      window.location.replace(link.href);
    });
  });

  function followInPage(link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      event.preventDefault();
      var field = target.querySelector("input:enabled:not([type=hidden]), textarea:enabled, button");
      target.scrollIntoView();
      (field || target).focus({ preventScroll: true });
    });
  }

  document.querySelectorAll(".error-summary a[href^='#'], .notice a[href^='#']").forEach(
    followInPage
  );

  function setShown(element, shown) {
    element.hidden = !shown;
    element.querySelectorAll("input, textarea").forEach(function (input) {
      input.disabled = !shown;
    });
  }

  /* The answer in a question's field and, if it is not a valid answer, why (a code of
   * app.problems: wrong_type, out_of_range, too_long, invalid_text); value undefined for
   * no answer. The question's template says in data-answer what its answer is: one option
   * code, a set of codes, a number (within data-min and data-max) or text. Text is read
   * as the server reads a form (line breaks as one character, surrounding space dropped)
   * and measured in characters, as Python counts them. */
  function readAnswer(block) {
    var field = block.querySelector("[data-answer]");
    var shape = field.getAttribute("data-answer");
    if (shape === "code" || shape === "codes") {
      var chosen = [];
      field.querySelectorAll("input:checked:enabled").forEach(function (input) {
        chosen.push(input.value);
      });
      if (shape === "codes") {
        return { value: chosen.length ? chosen : undefined };
      }
      return { value: chosen[0] };
    }
    var text = field.value.replace(/\r\n/g, "\n").trim();
    if (text === "") {
      return { value: undefined };
    }
    if (shape === "number") {
      if (!INTEGER.test(text)) {
        return { value: text, problem: "wrong_type" };
      }
      var number = parseInt(text, 10);
      var min = Number(field.getAttribute("data-min"));
      var max = Number(field.getAttribute("data-max"));
      return number >= min && number <= max
        ? { value: number }
        : { value: number, problem: "out_of_range" };
    }
    var limit = Number(field.getAttribute("maxlength"));
    if (limit && Array.from(text).length > limit) {
      return { value: text, problem: "too_long" };
    }
    return text.indexOf("\u0000") === -1 ? { value: text } : { value: text, problem: "invalid_text" };
  }

  /* Route the question blocks in order (validate_answers's rules): a block is shown when
   * its data-show-if holds for the valid answers before it and, for a choice question,
   * some option is offered to the organisation given; the options of another
   * organisation are hidden and cleared. Returns the valid answers of the shown blocks. */
  function route(blocks) {
    var answers = {};
    blocks.forEach(function (block) {
      var shown = true;
      var condition = block.getAttribute("data-show-if");
      if (condition) {
        shown = holds(JSON.parse(condition), answers);
      }
      var choices = block.querySelectorAll(".choice");
      var bound = block.querySelectorAll(".choice[data-organisation]");
      var offered = choices.length - bound.length;
      bound.forEach(function (choice) {
        if (choice.getAttribute("data-organisation") === answers.organisation) {
          offered += 1;
        }
      });
      shown = shown && (choices.length === 0 || offered > 0);
      setShown(block, shown);
      bound.forEach(function (choice) {
        var mine = choice.getAttribute("data-organisation") === answers.organisation;
        setShown(choice, shown && mine);
        if (!mine) {
          choice.querySelector("input").checked = false;
        }
      });
      var read = shown ? readAnswer(block) : { value: undefined };
      answers[block.getAttribute("data-question")] = read.problem ? undefined : read.value;
    });
    return answers;
  }

  /* An exclusive option clears the others of its question, and the other way round. */
  function keepExclusive(input) {
    if (input.type !== "checkbox" || !input.checked) {
      return;
    }
    var exclusive = input.hasAttribute("data-exclusive");
    input.closest("[data-question]").querySelectorAll("input[type=checkbox]").forEach(
      function (other) {
        if (other !== input && (exclusive || other.hasAttribute("data-exclusive"))) {
          other.checked = false;
        }
      }
    );
  }

  window.MonitorPage = {
    followInPage: followInPage,
    readAnswer: readAnswer,
    route: route,
    keepExclusive: keepExclusive,
  };

  var form = document.querySelector("form[data-survey-page]");
  if (!form) {
    return;
  }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));

  form.addEventListener("change", function (event) {
    keepExclusive(event.target);
    route(blocks);
  });
  form.addEventListener("input", function () {
    route(blocks);
  });
  route(blocks);
})();
