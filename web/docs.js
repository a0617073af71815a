// The API reference (docs.html): renders the OpenAPI document the API serves, with no framework and
// nothing from elsewhere; config.json (the front end's) says where the API is.
import { documentUrl } from "./api.js";

const REF = "#/components/schemas/";
let schemas = {};

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

// Descriptions are Markdown; of it, only `code` is used.
function text(markdown) {
  const span = element("span");
  String(markdown ?? "").split("`").forEach((part, index) => span.append(index % 2 ? element("code", {}, part) : part));
  return span;
}

function schemaLink(name) {
  return element("a", { href: `#schema-${name}` }, name);
}

// A schema as a short phrase: its type and its limits.
function describe(schema) {
  if (!schema) return "";
  if (schema.$ref) return schemaLink(schema.$ref.slice(REF.length));
  const span = element("span");
  if (schema.anyOf) {
    schema.anyOf.forEach((option, index) => { if (index) span.append(" or "); span.append(describe(option)); });
    return span;
  }
  if (schema.enum) return element("code", {}, schema.enum.join(" | "));
  if (schema.type === "array") { span.append("list of ", describe(schema.items)); }
  else if (schema.type === "object" && schema.additionalProperties) { span.append("map to ", describe(schema.additionalProperties)); }
  else span.append(schema.type ?? "any");
  const limits = [];
  if (schema.minLength !== undefined) limits.push(`≥ ${schema.minLength} chars`);
  if (schema.maxLength !== undefined) limits.push(`≤ ${schema.maxLength} chars`);
  if (schema.minimum !== undefined) limits.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`≤ ${schema.maximum}`);
  if (schema.minItems !== undefined) limits.push(`≥ ${schema.minItems} items`);
  if (schema.maxItems !== undefined) limits.push(`≤ ${schema.maxItems} items`);
  if (schema.uniqueItems) limits.push("distinct");
  if (schema.pattern) limits.push(`matches ${schema.pattern}`);
  if (schema.default !== undefined) limits.push(`default ${JSON.stringify(schema.default)}`);
  if (limits.length) span.append(` (${limits.join(", ")})`);
  return span;
}

function table(headings, rows) {
  return element("table", {},
    element("thead", {}, element("tr", {}, ...headings.map((heading) => element("th", { scope: "col" }, heading)))),
    element("tbody", {}, ...rows.map((cells) => element("tr", {}, ...cells.map((cell) => element("td", {}, cell))))));
}

function operation(method, path, spec) {
  const body = element("div");
  if (spec.parameters?.length) {
    body.append(element("h3", {}, "Parameters"), table(["name", "in", "required", "value"],
      spec.parameters.map((parameter) => [element("code", {}, parameter.name), parameter.in, parameter.required ? "yes" : "no", describe(parameter.schema)])));
  }
  const requestBody = spec.requestBody?.content?.["application/json"];
  if (requestBody) {
    const ref = requestBody.schema.$ref;
    body.append(element("h3", {}, "Body"), ref ? fields(schemas[ref.slice(REF.length)]) : element("p", {}, describe(requestBody.schema)));
  }
  body.append(element("h3", {}, "Answers"), table(["status", "meaning", "body"],
    Object.entries(spec.responses).map(([status, answer]) => [
      element("code", {}, status), text(answer.description),
      answer.content ? describe(answer.content["application/json"]?.schema) : "none"])));
  const secured = spec.security?.length ? element("span", { class: "lock", title: "needs an access token" }, "token") : "";
  return element("details", { id: spec.operationId },
    element("summary", {}, element("span", { class: `method ${method}` }, method), element("span", { class: "path" }, path), text(spec.summary), secured),
    body);
}

// An object's fields (and its examples), or an enumeration's values.
function fields(schema) {
  const part = element("div");
  if (schema.enum) part.append(element("p", {}, describe(schema)));
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    part.append(table(["field", "value", "required"],
      Object.entries(schema.properties).map(([field, property]) => [element("code", {}, field), describe(property), required.has(field) ? "yes" : "no"])));
  }
  for (const example of schema.examples ?? []) part.append(element("pre", { "aria-label": "example" }, JSON.stringify(example, null, 2)));
  return part;
}

function schemaCard(name, schema) {
  const card = element("section", { class: "schema", id: `schema-${name}` }, element("h3", {}, name));
  if (schema.description) card.append(element("p", { class: "muted" }, text(schema.description)));
  card.append(fields(schema));
  return card;
}

try {
  const config = await (await fetch("config.json")).json();
  const url = documentUrl(config.apiUrl);
  const link = document.getElementById("document");
  link.href = link.textContent = url;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the document answered ${response.status}`);
  const document_ = await response.json();
  schemas = document_.components.schemas;
  document.title = `${document_.info.title} ${document_.info.version}`;
  document.getElementById("title").textContent = document.title;
  document.getElementById("summary").textContent = document_.info.summary ?? "";
  const operations = document.getElementById("operations");
  for (const [path, item] of Object.entries(document_.paths)) {
    for (const [method, spec] of Object.entries(item)) operations.append(operation(method.toUpperCase(), path, spec));
  }
  const objects = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))) {
    objects.append(schemaCard(name, schema));
  }
} catch (error) {
  document.getElementById("problem").textContent = `The API reference could not be shown: ${error.message}`;
}
