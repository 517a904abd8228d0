// The cluster panel: members as the gateway's node sees them, and each member's command and dialog shards
// (GET /v1/cluster).
import { el, setRows } from "./dom.js";

export function renderCluster(panel, cluster) {
  const members = cluster.members.map((m) => el("tr", { dataset: { address: m.address, status: m.status } },
    el("td", {}, m.address, m.self ? el("span", { class: "tag" }, "this gateway") : null,
      m.address === cluster.leader ? el("span", { class: "tag" }, "leader") : null),
    el("td", { class: "member-status" }, m.status),
    el("td", { class: "member-roles" }, m.roles.join(", ")),
    el("td", { class: m.reachable ? "" : "bad" }, m.reachable ? "yes" : "no"),
    el("td", {}, m.app_version)));
  setRows(panel.querySelector("#members tbody"), members, "no members");

  const shards = cluster.shards.flatMap((type) => type.regions.length === 0
    ? [el("tr", { dataset: { type: type.type } }, el("td", {}, type.type), el("td", { colspan: 3, class: "note" }, type.error ?? "no region"))]
    : type.regions.map((r) => el("tr", { dataset: { type: type.type, address: r.address } },
        el("td", {}, type.type),
        el("td", {}, r.address),
        el("td", {}, r.failed_shards > 0 ? `${r.shards} (${r.failed_shards} did not answer)` : r.shards),
        el("td", {}, r.entities))));
  setRows(panel.querySelector("#shards tbody"), shards, "no shard regions");
}
