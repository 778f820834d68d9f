-- Argo CD health check for bitactor.io/BitActorCluster: the BitActor operator's verdict on a region
-- as the health of its BitActorCluster, and so of the region's platform Application. Progressing
-- until the operator has reconciled the current generation (a stale status judges an older spec),
-- then Healthy when TradingReady is True, Degraded when False, Progressing while Unknown (not
-- measured yet, or Prometheus unreachable; the operator keeps the order flow closed either way).
-- The condition's own message says why. Goes into argocd-cm as
-- resource.customizations.health.bitactor.io_BitActorCluster together with the operator's
-- Deployment: before an operator runs, every platform Application would stay Progressing.
-- test/argocd-health.test.ts runs it in the pinned argocd.
hs = {}
local generation = obj.metadata.generation or 0
if obj.status == nil or obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "The BitActor operator has not yet reconciled generation " .. generation
  return hs
end
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "TradingReady" then
      local status = c.status or "Unknown"
      local why = (c.reason or "") .. ": " .. (c.message or "")
      if status == "True" then
        hs.status = "Healthy"
      elseif status == "False" then
        hs.status = "Degraded"
      else
        hs.status = "Progressing"
      end
      hs.message = "TradingReady " .. status .. " (" .. why .. ")"
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "No TradingReady condition yet"
return hs
