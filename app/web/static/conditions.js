/* The condition language of CONTRACT section 2 in the browser: the one evaluator the survey
 * pages use (survey.js for follow-up questions, questionnaire.js for routing the whole
 * questionnaire in the page). Its Python twin, app/questionnaires/conditions.py, defines
 * the semantics; tests/web/test_conditions_js_browser.py holds this one to it on hundreds
 * of generated cases in Chromium.
 *
 * `answers` maps a question id to its valid answer: an option code, a list of codes (a
 * multi question), a number or a text; a hidden or unanswered question is absent. When the
 * question is absent, every atom on it is false except `answered: false`; `not` negates as
 * usual. For a list of codes `in` holds when any chosen code is listed and `not_in` when
 * none is. `{"const": true|false}` is no part of the language: the pages put it where an
 * atom's value is already known (an answer on another page, which stays out of this one).
 * Nothing is ever passed to eval.
 */
(function (global) {
  "use strict";

  function answerOf(answers, question) {
    return Object.prototype.hasOwnProperty.call(answers, question) ? answers[question] : undefined;
  }

  function holds(condition, answers) {
    if ("const" in condition) {
      return condition["const"] === true;
    }
    if ("all" in condition) {
      return condition.all.every(function (part) { return holds(part, answers); });
    }
    if ("any" in condition) {
      return condition.any.some(function (part) { return holds(part, answers); });
    }
    if ("not" in condition) {
      return !holds(condition.not, answers);
    }
    var answer = answerOf(answers, condition.question);
    var answered = answer !== undefined && answer !== null;
    if ("answered" in condition) {
      return condition.answered === answered;
    }
    if (!answered) {
      return false;
    }
    if ("in" in condition || "not_in" in condition) {
      var codes = "in" in condition ? condition["in"] : condition.not_in;
      var given = Array.isArray(answer) ? answer : [answer];
      var hit = given.some(function (code) { return codes.indexOf(code) !== -1; });
      return "in" in condition ? hit : !hit;
    }
    if (typeof answer !== "number") {
      return false;
    }
    if ("min" in condition && condition.min !== null && !(answer >= condition.min)) {
      return false;
    }
    return !("max" in condition && condition.max !== null && !(answer <= condition.max));
  }

  global.MonitorConditions = { holds: holds };
})(window);
