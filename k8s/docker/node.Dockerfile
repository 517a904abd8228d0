# syntax=docker/dockerfile:1
# CallCluster Call node (roles call-node; the embedded default when run without CALLCLUSTER_ROLES), with callctl on the PATH (preStop hook, kubectl exec).
# Build from the repository root:  docker build -f k8s/docker/node.Dockerfile -t callcluster/node:TAG .
# (node.Dockerfile.dockerignore beside this file keeps bin/ and obj/ out of the context.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the package layer is cached across source changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Contracts/Contracts.csproj src/Contracts/
COPY src/Hosting/Hosting.csproj src/Hosting/
COPY src/Gateway/Gateway.csproj src/Gateway/
COPY src/Simulator/Simulator.csproj src/Simulator/
COPY src/Node/Node.csproj src/Node/
COPY src/Admin/Admin.csproj src/Admin/
RUN dotnet restore src/Node/Node.csproj && dotnet restore src/Admin/Admin.csproj
COPY hocon/ hocon/
COPY src/ src/
RUN dotnet publish src/Node/Node.csproj -c Release --no-restore -o /out/app \
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
ENTRYPOINT ["dotnet", "/app/CallCluster.Node.dll"]
