# syntax=docker/dockerfile:1
# CallCluster call node (src/Apps/Node: roles call-node, and gateway too unless CALLCLUSTER_ROLES says), with callctl on
# the PATH (preStop hook, kubectl exec). Production image: no OpenSIPS simulator in it (src/Apps/Node does not reference
# src/Simulator), so it needs CALLCLUSTER_MI; the dev overlay runs the simulator image beside it.
# Build from the repository root:  docker build -f k8s/docker/node.Dockerfile -t callcluster/node:TAG .
# (node.Dockerfile.dockerignore beside this file keeps bin/ and obj/ out of the context.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the package layer is cached across source changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Contracts/Contracts.csproj src/Contracts/
COPY src/AdminProtocol/AdminProtocol.csproj src/AdminProtocol/
COPY src/Hosting/Hosting.csproj src/Hosting/
COPY src/Gateway/Gateway.csproj src/Gateway/
COPY src/Node/Node.csproj src/Node/
COPY src/Apps/Node/Apps.Node.csproj src/Apps/Node/
COPY src/Admin/Admin.csproj src/Admin/
RUN dotnet restore src/Apps/Node/Apps.Node.csproj && dotnet restore src/Admin/Admin.csproj
# Only the projects this image is built from.
COPY hocon/ hocon/
COPY src/Contracts/ src/Contracts/
COPY src/AdminProtocol/ src/AdminProtocol/
COPY src/Hosting/ src/Hosting/
COPY src/Gateway/ src/Gateway/
COPY src/Node/ src/Node/
COPY src/Apps/Node/ src/Apps/Node/
COPY src/Admin/ src/Admin/
RUN dotnet publish src/Apps/Node/Apps.Node.csproj -c Release --no-restore -o /out/app \
 && dotnet publish src/Admin/Admin.csproj -c Release --no-restore -o /out/callctl

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out/app /app
COPY --from=build /out/callctl /opt/callctl
# callctl through the shared runtime (no apphost lookup of DOTNET_ROOT needed).
RUN printf '#!/bin/sh\nexec dotnet /opt/callctl/callctl.dll "$@"\n' > /usr/local/bin/callctl \
 && chmod 0755 /usr/local/bin/callctl
# The aspnet image presets ASPNETCORE_HTTP_PORTS=8080; CallCluster binds its own ports from HOCON.
ENV ASPNETCORE_HTTP_PORTS="" \
    DOTNET_gcServer=0 \
    CALLCLUSTER_ADMIN_PORT=9110
EXPOSE 4053 9061/udp 9110
# The aspnet image's unprivileged user.
USER $APP_UID
# hocon/ is published next to the binary; Kubernetes adds --config /etc/callcluster/cluster.conf.
ENTRYPOINT ["dotnet", "/app/callcluster-node.dll"]
