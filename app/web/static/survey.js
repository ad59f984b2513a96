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
 */
(function () {
  "use strict";

  var INTEGER = /^[+-]?[0-9]{1,18}$/;

  document.querySelectorAll("[data-quick-exit]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      document.body.hidden = true;
      window.location.replace(link.href);
    });
  });

  document.querySelectorAll(".error-summary a[href^='#'], .notice a[href^='#']").forEach(
    function (link) {
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
  );

  var form = document.querySelector("form[data-survey-page]");
  if (!form) {
    return;
  }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));

  function setShown(element, shown) {
    element.hidden = !shown;
    element.querySelectorAll("input, textarea").forEach(function (input) {
      input.disabled = !shown;
    });
  }

  /* The answer as the server would count it for routing: undefined when there is none
   * or when it is not valid (validate_answers routes on valid answers only). The
   * question's template says in data-answer what its answer is: one option code, a set
   * of codes, a number (within data-min and data-max) or text. */
  function answerOf(block) {
    var field = block.querySelector("[data-answer]");
    var shape = field.getAttribute("data-answer");
    if (shape === "code" || shape === "codes") {
      var chosen = [];
      field.querySelectorAll("input:checked:enabled").forEach(function (input) {
        chosen.push(input.value);
      });
      if (shape === "codes") {
        return chosen.length ? chosen : undefined;
      }
      return chosen[0];
    }
    var text = field.value.trim();
    if (shape === "number") {
      if (!INTEGER.test(text)) {
        return undefined;
      }
      var number = parseInt(text, 10);
      var min = Number(field.getAttribute("data-min"));
      var max = Number(field.getAttribute("data-max"));
      return number >= min && number <= max ? number : undefined;
    }
    return text === "" ? undefined : text;
  }

  var holds = window.MonitorConditions.holds;  /* conditions.js */

  function update() {
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
      answers[block.getAttribute("data-question")] = shown ? answerOf(block) : undefined;
    });
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "checkbox" && input.checked) {
      var exclusive = input.hasAttribute("data-exclusive");
      input.closest("[data-question]").querySelectorAll("input[type=checkbox]").forEach(
        function (other) {
          if (other !== input && (exclusive || other.hasAttribute("data-exclusive"))) {
            other.checked = false;
          }
        }
      );
    }
    update();
  });
  form.addEventListener("input", update);
  update();
})();
